"""Speed of analysis.correlation_map against a Python loop of scipy.stats.pearsonr.

Usage: python benchmarks/bench_correlation.py [--n-seqs 5000] [--length 50]
       [--n-pairs 150000] [--filters 32] [--stream-seqs 20000] [--repeats 3]

Reference (measured in the same run): gather the query/key feature vectors of
all pairs once, then call ``scipy.stats.pearsonr`` for every one of the F×F
filter pairs, as the authors' code does. Agreement is checked to 1e-4.
The script also times the streaming ``glifac_maps`` on the interpret-command
workload: ``--stream-seqs`` × L × L attention maps, 10 thresholds in one pass.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import pearsonr

from analysis import correlation_map, glifac_maps, random_pairs

from _record import record


def reference(fm, pairs):
    seq, i, j = pairs
    q, k = fm[seq, i], fm[seq, j]
    F = fm.shape[2]
    return np.array([[pearsonr(q[:, f], k[:, g])[0] for g in range(F)] for f in range(F)])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-seqs", type=int, default=5000)
    p.add_argument("--length", type=int, default=50)
    p.add_argument("--n-pairs", type=int, default=150_000)
    p.add_argument("--filters", type=int, default=32)
    p.add_argument("--stream-seqs", type=int, default=20000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)

    rs = np.random.RandomState(0)
    fm = np.maximum(rs.normal(size=(args.n_seqs, args.length, args.filters)), 0).astype(np.float32)
    pairs = random_pairs(args.n_pairs, args.n_seqs, args.length, random_state=1)

    t0 = time.perf_counter()
    ours = correlation_map(fm, pairs)
    t_first = time.perf_counter() - t0            # includes loading the numba kernel's cache
    t_ours = t_first
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        correlation_map(fm, pairs)
        t_ours = min(t_ours, time.perf_counter() - t0)
    t0 = time.perf_counter()
    ref = reference(fm, pairs)
    t_ref = time.perf_counter() - t0
    err = float(np.max(np.abs(ours - ref)))
    print(f"correlation_map: {args.n_seqs} seqs x {args.n_pairs:,} pairs x {args.filters} filters")
    print(f"  analysis.correlation_map        : {t_ours:8.3f} s  (best of {args.repeats + 1}; first call {t_first:.3f} s)")
    print(f"  loop of scipy.stats.pearsonr    : {t_ref:8.3f} s  ({args.filters ** 2} calls)")
    print(f"  speed-up                        : {t_ref / t_ours:8.1f} x  (first call: {t_ref / t_first:.1f} x)")
    print(f"  max |difference|                : {err:.2e}  ({'OK' if err < 1e-4 else 'MISMATCH'})")

    n, L = args.stream_seqs, args.length
    fm = np.maximum(rs.normal(size=(n, L, args.filters)), 0).astype(np.float32)
    att = rs.dirichlet(np.full(L, 0.2), size=(n, L)).astype(np.float32)
    thresholds = np.round(np.arange(10) * 0.1, 1)
    t0 = time.perf_counter()
    res = glifac_maps(fm, att, thresholds, random_state=0)
    t_stream = time.perf_counter() - t0
    print(f"glifac_maps: {n} seqs x {L} x {L} attention, {len(thresholds)} thresholds in one pass")
    print(f"  time                            : {t_stream:8.3f} s")
    print(f"  attended pairs at t=0 / t=0.1   : {res.n_attended[0]:,} / {res.n_attended[1]:,} "
          f"(plus as many random pairs each)")
    record("correlation", {"correlation_map_seconds": t_ours, "correlation_map_first_call_seconds": t_first,
                           "pearsonr_loop_seconds": t_ref, "speedup": t_ref / t_ours, "max_abs_difference": err,
                           "glifac_maps_seconds": t_stream, "attended_pairs_t0": int(res.n_attended[0]),
                           "attended_pairs_t01": int(res.n_attended[1])}, args)


if __name__ == "__main__":
    main()
