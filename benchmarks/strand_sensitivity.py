"""Does a trained model see each motif on both strands? Test AUROC split by instance strand.

The simulator implants every instance on a random strand (``placements_test``
records it). A convolutional first layer has no reverse-complement weight
sharing, so a motif is read on both strands only if some filter learned each
orientation. For motif ``m`` this script scores the model's output for task ``m``
twice: positives whose instances of ``m`` all lie on the forward strand against
all negatives, and the same for the reverse strand. A strand-blind model shows
a large gap between the two AUROCs on that task.

Usage::

    python benchmarks/strand_sensitivity.py --run runs/paper/CNN20-Exp [--run ...]
                                            [--data data/sim_n100000_seed0.h5]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def strand_aurocs(scores: np.ndarray, labels: np.ndarray, placements: np.ndarray) -> np.ndarray:
    """AUROC per task of positives carrying the task's motif on one strand only, against negatives.

    Parameters
    ----------
    scores : numpy.ndarray, shape (N, T)
        Model outputs; task ``t`` is grammar motif ``t``.
    labels : numpy.ndarray, shape (N, T)
        0/1 labels.
    placements : numpy.ndarray, shape (M, 4)
        Rows ``(seq_index, motif_index, start, strand)`` as in the dataset file.

    Returns
    -------
    numpy.ndarray, shape (T, 2)
        Column 0 forward-only positives, column 1 reverse-only; NaN where a
        group is empty.
    """
    from sklearn.metrics import roc_auc_score

    n, n_tasks = labels.shape
    out = np.full((n_tasks, 2), np.nan)
    for t in range(n_tasks):
        rows = placements[placements[:, 1] == t]
        per_strand = [np.bincount(rows[rows[:, 3] == s, 0], minlength=n) for s in (0, 1)]
        negatives = labels[:, t] == 0
        for s in (0, 1):
            only = (labels[:, t] == 1) & (per_strand[s] > 0) & (per_strand[1 - s] == 0)
            if only.any() and negatives.any():
                keep = only | negatives
                out[t, s] = roc_auc_score(only[keep], scores[keep, t])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="append", required=True, type=Path, help="run directory (repeatable)")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset file (default: the one recorded in the first run's config.json)")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)

    import keras

    import architectures  # noqa: F401  (registers the exponential activation for loading)
    from simulate.dataset import load

    data = args.data or Path(json.loads((args.run[0] / "config.json").read_text())["data"]["path"])
    ds = load(data, splits=("test",))
    x = ds.x_test.astype(np.float32)
    names = list(ds.task_names)
    print(f"{data}: {len(x)} test sequences; AUROC forward-only / reverse-only positives vs negatives")
    # parent/name: runs of one preset from different sweeps share a name
    header = "| task | " + " | ".join(f"{run.parent.name}/{run.name}" for run in args.run) + " |"
    results = []
    for run in args.run:
        model = keras.saving.load_model(run / "model.keras", safe_mode=True)
        scores = model.predict(x, batch_size=args.batch_size, verbose=0)
        results.append(strand_aurocs(scores, ds.y_test, ds.placements_test))
    print(header)
    print("|---|" + "---|" * len(args.run))
    for t, name in enumerate(names):
        cells = [f"{r[t, 0]:.3f} / {r[t, 1]:.3f}" for r in results]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
