"""How separable is each task? Test AUPR of scanning with the grammar's own PWMs.

For an independent motif the score is its best log-odds match over positions and
strands; for an AND pair, the smaller of the two motifs' best matches. XOR tasks are
left out (no single monotone score of two PWM matches ranks them fairly). Because
instances are sampled base by base from PPMs, low-information motifs (TEAD1, CEBPB)
often look like background: this oracle puts a ceiling near 0.87-0.93 on such tasks,
which is why a CAN's macro test AUPR stays below the paper's 0.955-0.967 on our data.

Usage::

    python benchmarks/oracle_ceiling.py [--data data/sim_n100000_seed0.h5] [--run RUN_DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def best_match(x: np.ndarray, ppm: np.ndarray, pseudocount: float = 0.01) -> np.ndarray:
    """Best log-odds PWM score per sequence, both strands.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, L, 4)
    ppm : numpy.ndarray, shape (W, 4)

    Returns
    -------
    numpy.ndarray, shape (N,)
    """
    log_odds = np.log2((ppm + pseudocount) / (1 + 4 * pseudocount) / 0.25)
    windows = np.lib.stride_tricks.sliding_window_view(x, len(ppm), axis=1)  # (N, L-W+1, 4, W)
    forward = np.einsum("nlaw,wa->nl", windows, log_odds)
    reverse = np.einsum("nlaw,wa->nl", windows, log_odds[::-1, ::-1])
    return np.maximum(forward, reverse).max(axis=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sim_n100000_seed0.h5")
    parser.add_argument("--run", default=None, help="a trained run to compare with (its metrics.json)")
    args = parser.parse_args()

    import simulate
    from sklearn.metrics import average_precision_score

    ds = simulate.load(args.data, splits=("test",))
    grammar, x, y = ds.grammar, ds.x_test.astype(np.float32), ds.y_test
    scores = {m.name: best_match(x, m.ppm) for m in grammar.motifs}
    logic = {name: (i.logic, i.motifs) for i in grammar.interactions for name in i.motifs}
    model = {}
    if args.run:
        model = json.loads((Path(args.run) / "metrics.json").read_text()).get("test_aupr_per_task", {})
    print(f"{'task':8s} {'rule':6s} {'oracle AUPR':>12s} {'model AUPR':>11s}")
    for k, name in enumerate(grammar.motif_names):
        kind, pair = logic.get(name, ("indep", None))
        if kind == "xor":
            continue
        score = scores[name] if pair is None else np.minimum(scores[pair[0]], scores[pair[1]])
        oracle = average_precision_score(y[:, k], score)
        shown = f"{model[name]:.3f}" if name in model else "-"
        print(f"{name:8s} {kind:6s} {oracle:12.3f} {shown:>11s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
