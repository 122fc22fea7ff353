"""Does a trained model see each motif on both strands? Test AUROC split by instance strand.

The simulator implants every instance on a random strand (``placements_test``
records it). A convolutional first layer has no reverse-complement weight
sharing, so a motif is read on both strands only if some filter learned each
orientation. For motif ``m`` this script scores the model's output for task ``m``
twice: positives whose instances of ``m`` all lie on the forward strand against
all negatives, and the same for the reverse strand. A strand-blind model shows
a large gap between the two AUROCs on that task.

``--filters MOTIF`` also ranks the first-layer filters by how well each one's
maximum activation over a sequence alone separates that motif's positives from
its negatives, and shows what the best filter would reach if it also read the
reverse complement of the input: a model with one filter per orientation has
two filters near the top; a one-strand model has one.

Usage::

    python benchmarks/strand_sensitivity.py --run runs/paper/CNN20-Exp [--run ...]
                                            [--data data/sim_n100000_seed0.h5] [--filters TEAD1]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from glifac import rundir
from simulate.errors import InputError


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


def filter_aurocs(max_forward: np.ndarray, max_reverse: np.ndarray, labels: np.ndarray):
    """AUROC of each filter's maximum activation for one task, on the input and on both strands.

    Parameters
    ----------
    max_forward, max_reverse : numpy.ndarray, shape (N, F)
        Each filter's maximum activation over positions of each sequence and of
        its reverse complement.
    labels : numpy.ndarray, shape (N,)
        0/1 labels of the task.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray), each shape (F,)
        AUROC of ``max_forward`` and of ``max(max_forward, max_reverse)`` per filter.
    """
    from sklearn.metrics import roc_auc_score

    both = np.maximum(max_forward, max_reverse)
    one = np.array([roc_auc_score(labels, max_forward[:, f]) for f in range(max_forward.shape[1])])
    two = np.array([roc_auc_score(labels, both[:, f]) for f in range(both.shape[1])])
    return one, two


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="append", required=True, type=Path, help="run directory (repeatable)")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset file (default: the one recorded in the first run's config.json)")
    parser.add_argument("--filters", metavar="MOTIF", default=None,
                        help="also rank the first-layer filters for this motif's task")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    for run in args.run:
        rundir.require_complete(run)
    recorded = [json.loads((run / "config.json").read_text())["data"] for run in args.run]
    if len({r.get("sha256") for r in recorded}) > 1:
        print("warning: the runs were trained on different dataset files", file=sys.stderr)

    import keras

    import architectures
    from architectures import layers as L
    from simulate.dataset import load

    data = args.data or Path(recorded[0]["path"])
    ds = load(data, splits=("test",))
    if "placements_test" not in ds.arrays:
        raise InputError(f"{data} records no motif placements (no ground truth), so strands are unknown")
    x = ds.x_test.astype(np.float32)
    names = list(ds.task_names)
    if args.filters is not None and args.filters not in names:
        raise InputError(f"--filters {args.filters!r} is not a task of {data}; tasks: {', '.join(names)}")
    print(f"{data}: {len(x)} test sequences; AUROC forward-only / reverse-only positives vs negatives")
    # parent/name: runs of one preset from different sweeps share a name
    header = "| task | " + " | ".join(f"{run.parent.name}/{run.name}" for run in args.run) + " |"
    results, filter_lines = [], []
    for run in args.run:
        model = architectures.load_model(run / "model.keras")
        scores = model.predict(x, batch_size=args.batch_size, verbose=0)
        results.append(strand_aurocs(scores, ds.y_test, ds.placements_test))
        if args.filters is not None:
            conv = keras.Model(model.input, model.get_layer(L.CONV_ACTIVATION).output)
            forward = conv.predict(x, batch_size=args.batch_size, verbose=0).max(axis=1)
            reverse = conv.predict(x[:, ::-1, ::-1], batch_size=args.batch_size, verbose=0).max(axis=1)
            one, two = filter_aurocs(forward, reverse, ds.y_test[:, names.index(args.filters)])
            top = np.argsort(-one)[:4]
            ranked = ", ".join(f"f{f} {one[f]:.3f}" for f in top)
            filter_lines.append(f"| {run.parent.name}/{run.name} | {ranked} | {two[top[0]]:.3f} |")
    print(header)
    print("|---|" + "---|" * len(args.run))
    for t, name in enumerate(names):
        cells = [f"{r[t, 0]:.3f} / {r[t, 1]:.3f}" for r in results]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if filter_lines:
        print(f"\n{args.filters}: test AUROC of single filters' maximum activation")
        print("| run | best four filters | best filter on both strands |\n|---|---|---|")
        print("\n".join(filter_lines))
    return 0


if __name__ == "__main__":
    from simulate.command import run_command

    sys.exit(run_command(main))
