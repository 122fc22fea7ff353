"""How much better does each run fit its training sequences than unseen ones?

The training loss in ``history.csv`` is measured with dropout on and averaged
over an epoch of changing weights, so it cannot be set against the validation
loss. This script scores the final model (best weights, ``model.keras``) in
inference mode on the same number of training and test sequences and reports
loss and macro AUPR on each, and the gap between them. A model whose test
score falls short while its training score does not has over-fitted; one short
on both has under-fitted or misses a motif outright.

Usage::

    python benchmarks/generalization_gap.py --runs runs/paper/CNN4-ReLU runs/paper/CNN4-ReLU-Norm [--n 10000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from glifac import rundir
from simulate.errors import InputError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="finished run directories")
    parser.add_argument("--n", type=int, default=10000, help="sequences scored from each split")
    args = parser.parse_args(argv)
    if args.n < 1:
        raise InputError(f"--n must be at least 1, got {args.n}")
    for run in args.runs:  # every run checked before the slow TensorFlow import
        rundir.require_complete(run)

    import architectures
    from analysis.classification import binary_crossentropy, classification_metrics
    from simulate.dataset import load

    def score(model, x, y):
        p = model.predict(x, batch_size=500, verbose=0)
        return binary_crossentropy(y, p), classification_metrics(y, p, range(y.shape[1]))["aupr"]

    print(f"inference mode, {args.n} sequences per split")
    print("| run | parameters | train loss | test loss | train AUPR | test AUPR | AUPR gap |")
    print("|---|---|---|---|---|---|---|")
    cache: dict[Path, tuple] = {}
    for run in args.runs:
        data = Path(json.loads((run / "config.json").read_text())["data"]["path"])
        if data not in cache:
            ds = load(data, splits=("train", "test"))
            cache[data] = tuple(a[: args.n].astype(np.float32)
                                for a in (ds.x_train, ds.y_train, ds.x_test, ds.y_test))
        x_train, y_train, x_test, y_test = cache[data]
        model = architectures.load_model(run / "model.keras")
        train_loss, train_aupr = score(model, x_train, y_train)
        test_loss, test_aupr = score(model, x_test, y_test)
        print(f"| {run.name} | {model.count_params():,} | {train_loss:.4f} | {test_loss:.4f} | "
              f"{train_aupr:.4f} | {test_aupr:.4f} | {train_aupr - test_aupr:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    from simulate.command import run_command

    sys.exit(run_command(main))
