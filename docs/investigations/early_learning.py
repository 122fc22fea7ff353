"""How fast does each architecture start learning? Validation AUPR after each of a few epochs.

A cheap diagnostic for a preset that trains slowly: each variant trains from the
same seed on the first ``--n-train`` training sequences (batch 100, Adam 1e-3, no
schedule) and is scored on the first ``--n-valid`` validation sequences after every
epoch. It showed why SATORI learned slowly before the presets took the authors' dense
block (Dense -> BatchNorm -> ReLU): without that BatchNorm it learns ~3x slower.

Usage::

    python benchmarks/early_learning.py [--data data/sim_n100000_seed0.h5] [--epochs 4]
        [--variant LABEL=PRESET[,override=value...]] ...

Example variant: ``SATORI-noDenseBN=SATORI,dense_batch_norm=false``. Values are JSON
(``true``, ``4``, ``"pre"``) or bare strings. Results go to stdout and
``benchmarks/results/early_learning.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

DEFAULT_VARIANTS = [  # presets have the dense BatchNorm; the "-noDenseBN" variants drop it
    "SATORI-noDenseBN=SATORI,dense_batch_norm=false",
    "SATORI=SATORI",
    "SATORI-noDenseBN+preLN=SATORI,dense_batch_norm=false,layer_norm=pre",
    "CNN20-ReLU-noDenseBN=CNN20-ReLU,dense_batch_norm=false",
    "CNN20-ReLU=CNN20-ReLU",
]


def parse_variant(text: str) -> tuple[str, str, dict]:
    """``LABEL=PRESET[,key=value...]`` -> (label, preset, overrides)."""
    label, _, spec = text.partition("=")
    preset, *pairs = spec.split(",")
    overrides = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        try:
            overrides[key] = json.loads(raw)
        except ValueError:
            overrides[key] = raw
    return label, preset, overrides


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sim_n100000_seed0.h5")
    parser.add_argument("--n-train", type=int, default=15000)
    parser.add_argument("--n-valid", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--variant", action="append", default=None, metavar="LABEL=PRESET[,k=v...]")
    args = parser.parse_args()

    from glifac.runtime import import_tensorflow_quietly, limit_threads

    import_tensorflow_quietly()
    limit_threads(args.threads)
    import keras

    import architectures
    import simulate
    from analysis.classification import classification_metrics
    from architectures.access import predict_in_batches

    data = simulate.load(args.data)
    x = data.x_train[: args.n_train].astype("float32")
    y = data.y_train[: args.n_train].astype("float32")
    x_valid = data.x_valid[: args.n_valid].astype("float32")
    y_valid = data.y_valid[: args.n_valid]
    results = []
    for label, preset, overrides in map(parse_variant, args.variant or DEFAULT_VARIANTS):
        keras.utils.set_random_seed(args.seed)
        model = architectures.build_model(preset, input_length=x.shape[1], n_tasks=y.shape[1], **overrides)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        curve, start = [], time.perf_counter()
        for _ in range(args.epochs):
            model.fit(x, y, batch_size=100, epochs=1, verbose=0)
            curve.append(classification_metrics(y_valid, predict_in_batches(model, x_valid, 1000), data.task_names)["aupr"])
        results.append({"label": label, "preset": preset, "overrides": overrides, "val_aupr": curve,
                        "seconds": time.perf_counter() - start})
        print(f"{label:28s} val AUPR by epoch: {' '.join(f'{v:.3f}' for v in curve)}", flush=True)
    (HERE / "results").mkdir(exist_ok=True)
    record = {"data": args.data, "n_train": len(x), "n_valid": len(x_valid), "seed": args.seed,
              "results": results}
    (HERE / "results" / "early_learning.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
