"""Benchmark Keras's ``mixed_bfloat16`` policy against float32 for training on this CPU.

For CNN20-Exp and CNN4-Exp: seconds per epoch (median over epochs after the
first) and test macro AUPR after the same number of epochs, float32 against
``mixed_bfloat16``, each configuration in a fresh process, same data, same seed.

Usage::

    python benchmarks/bench_precision.py [--n 20000] [--epochs 3] [--models CNN20-Exp CNN4-Exp]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _record import record

CHILD = r"""
import json, sys, time
from glifac.runtime import import_tensorflow_quietly
keras, tf = import_tensorflow_quietly()
model_name, policy, data, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
keras.mixed_precision.set_global_policy(policy)
keras.utils.set_random_seed(0)
import numpy as np, simulate, architectures
from analysis import classification_metrics
ds = simulate.load(data)
model = architectures.build_model(model_name, input_length=ds.length, n_tasks=ds.n_tasks)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
x, y = ds.x_train.astype("float32"), ds.y_train.astype("float32")
times = []
for epoch in range(epochs):
    start = time.perf_counter()
    model.fit(x, y, batch_size=100, epochs=1, verbose=0)
    times.append(time.perf_counter() - start)
p = np.asarray(architectures.predict_in_batches(model, ds.x_test.astype("float32"), 1000), dtype="float64")
m = classification_metrics(ds.y_test, p, ds.task_names)
print(json.dumps({"seconds": times, "test_aupr": m["aupr"], "test_aupr_pooled": m["aupr_pooled"]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["CNN20-Exp", "CNN4-Exp"])
    args = parser.parse_args()
    import simulate

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = simulate.make_dataset(Path(tmp) / "data.h5", n=args.n, seed=0)
        for model in args.models:
            results[model] = {}
            for policy in ("float32", "mixed_bfloat16"):
                out = subprocess.run([sys.executable, "-c", CHILD, model, policy, str(data), str(args.epochs)],
                                     capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(out.stderr)
                run = json.loads(out.stdout.strip().splitlines()[-1])
                run["seconds_per_epoch"] = statistics.median(run["seconds"][1:] or run["seconds"])
                results[model][policy] = run
                print(f"{model} {policy:<15} {run['seconds_per_epoch']:.1f} s/epoch, test AUPR "
                      f"{run['test_aupr']:.3f} after {args.epochs} epochs", flush=True)
            speedup = results[model]["float32"]["seconds_per_epoch"] / \
                results[model]["mixed_bfloat16"]["seconds_per_epoch"]
            results[model]["speedup"] = speedup
            print(f"{model}: mixed_bfloat16 is {speedup:.2f}x float32's speed", flush=True)
    record("precision", results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
