"""The training cost of each cell type of the shipped grids, on one TensorFlow thread.

For each model configuration: seconds per epoch, measured on ``--n`` training
sequences (second epoch of two, validation excluded) in a fresh process on one
thread, scaled to the default dataset's 70,000 training sequences, and the
cost of a 100-epoch cell (the ``paper`` recipe) in worker-hours. From these the
script prices the ``paper`` and ``appendix-e`` grids.

Usage::

    python benchmarks/bench_cells.py [--n 7000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _record import record

CHILD = r"""
import json, sys, time
from glifac.runtime import limit_threads, import_tensorflow_quietly
limit_threads(1)
keras, _ = import_tensorflow_quietly()
import numpy as np, architectures
preset, overrides, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
x = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(n, 200))]
y = (rng.random((n, 12)) < 0.15).astype("float32")
model = architectures.build_model(preset, input_length=200, n_tasks=12, **overrides)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
times = []
for _ in range(2):
    start = time.perf_counter()
    model.fit(x, y, batch_size=100, epochs=1, verbose=0)
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": times[-1], "parameters": model.count_params()}))
"""

# (label, preset, overrides)
CELL_TYPES = [
    ("CNN20-Exp (pool 20)", "CNN20-Exp", {}),
    ("CNN20-Exp-Norm", "CNN20-Exp-Norm", {}),
    ("CNN4-Exp (pool 4)", "CNN4-Exp", {}),
    ("SATORI (pool 6)", "SATORI", {}),
    ("CNN10-Exp (Appendix E base)", "CNN10-Exp", {}),
    ("CNN10-Exp pool 2", "CNN10-Exp", {"pool_size": 2}),
    ("CNN10-Exp pool 5", "CNN10-Exp", {"pool_size": 5}),
    ("CNN10-Exp 16 heads", "CNN10-Exp", {"num_heads": 16}),
    ("CNN10-Exp key size 512", "CNN10-Exp", {"key_dim": 512}),
    ("CNN10-Exp dense 1024", "CNN10-Exp", {"dense_units": 1024}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7000)
    args = parser.parse_args()
    results = {}
    for label, preset, overrides in CELL_TYPES:
        out = subprocess.run([sys.executable, "-c", CHILD, preset, json.dumps(overrides), str(args.n)],
                             capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        per_epoch = run["seconds"] * 70_000 / args.n
        results[label] = {"seconds_per_epoch_70k": per_epoch, "cell_hours_100_epochs": per_epoch * 100 / 3600,
                          "parameters": run["parameters"]}
        print(f"{label:<30} {per_epoch:7.0f} s/epoch  {per_epoch * 100 / 3600:6.2f} h per 100-epoch cell  "
              f"({run['parameters']:,} parameters)", flush=True)
    record("cells", results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
