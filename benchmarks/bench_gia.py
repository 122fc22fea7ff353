"""Benchmark: global importance analysis against the model's plain ``predict`` on as many inputs.

All 66 pairs of the paper's 12 motifs × 500 dinucleotide-shuffled backgrounds
on a CNN20-Exp preset (untrained: speed does not depend on the weights), at the
default three distances and both orders. The reference is the same model's
``predict_in_batches`` on the same number of random one-hot sequences, timed in
the same run; the target is GIA throughput ≥ 0.8× the reference (embedding the
motifs and bookkeeping may cost at most 20%).

Usage::

    python benchmarks/bench_gia.py [--n-backgrounds 500] [--model CNN20-Exp] [--batch-size 2048] [--rounds 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _record import record



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-backgrounds", type=int, default=500)
    parser.add_argument("--model", default="CNN20-Exp")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import architectures
    import simulate
    from analysis import dinucleotide_shuffle
    from analysis.gia import global_importance

    grammar = simulate.load_grammar()
    model = architectures.build_model(args.model, input_length=200, n_tasks=len(grammar.motifs))
    rng = np.random.default_rng(0)
    tests = simulate.one_hot(rng.integers(0, 4, size=(args.n_backgrounds, 200)))
    backgrounds = dinucleotide_shuffle(tests, random_state=0)[:, 0]
    motifs = {m.name: m.ppm for m in grammar.motifs}

    def predict(x):
        return architectures.predict_in_batches(model, x, args.batch_size)

    predict(backgrounds[:64].astype(np.float32))  # compile once, outside the timings
    gia_rates, plain_rates, ratios = [], [], []
    for r in range(args.rounds):
        start = time.perf_counter()
        result = global_importance(predict, backgrounds, motifs, batch_size=args.batch_size)
        gia_seconds = time.perf_counter() - start
        n = result.n_predictions
        plain_inputs = simulate.one_hot(rng.integers(0, 4, size=(n, 200))).astype(np.float32)
        start = time.perf_counter()
        predict(plain_inputs)
        plain_seconds = time.perf_counter() - start
        del plain_inputs
        gia_rates.append(n / gia_seconds)
        plain_rates.append(n / plain_seconds)
        ratios.append(gia_rates[-1] / plain_rates[-1])
        print(f"round {r + 1}: {len(result.pairs)} pairs, {n:,} sequences; GIA {gia_seconds:.1f} s "
              f"({gia_rates[-1]:,.0f} seq/s), plain predict {plain_seconds:.1f} s ({plain_rates[-1]:,.0f} seq/s), "
              f"ratio {ratios[-1]:.2f}", flush=True)
    summary = {"model": args.model, "n_backgrounds": args.n_backgrounds, "pairs": len(result.pairs),
               "sequences": result.n_predictions, "gia_seq_per_s": statistics.median(gia_rates),
               "predict_seq_per_s": statistics.median(plain_rates), "ratio": statistics.median(ratios),
               "target": 0.8}
    print(f"median ratio {summary['ratio']:.2f} (target >= 0.8)")
    record("gia", summary, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
