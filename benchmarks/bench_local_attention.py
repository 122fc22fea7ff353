"""Speed and memory of local-attention counting against a pairs × F × F materialization.

Usage: python benchmarks/bench_local_attention.py [--n-pairs 20000] [--filters 32]
       [--n-seqs 20000] [--length 50]

Reference (measured in the same run, at a size where it fits): the authors'
SATORI-style scheme, which builds, for every attended pair, the full F × F
grid of filter-index pairs (int64, pairs × F × F), masks it with the activity
of both positions to list every interaction instance, then counts instances
per filter pair. Ours: ``interaction_counts`` (a chunked matrix product
A_qᵀ A_k) on the same pairs, and ``local_attention_maps`` streaming over
``--n-seqs`` × L × L attention maps for 10 thresholds in one pass.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from analysis import active_filters, interaction_counts, local_attention_maps, random_pairs

from _record import record


def reference(active, pairs):
    seq, i, j = pairs
    F = active.shape[2]
    q, k = active[seq, i], active[seq, j]                                    # (P, F)
    grid = np.ascontiguousarray(np.broadcast_to(
        np.arange(F)[:, None] * F + np.arange(F)[None, :], (seq.size, F, F)))  # (P, F, F) int64
    mask = q[:, :, None] & k[:, None, :]                                     # (P, F, F) bool
    instances = grid[mask]                                                   # one entry per instance
    counts = np.bincount(instances, minlength=F * F).reshape(F, F)
    return counts, grid.nbytes + mask.nbytes + instances.nbytes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-pairs", type=int, default=20000)
    p.add_argument("--filters", type=int, default=32)
    p.add_argument("--n-seqs", type=int, default=20000)
    p.add_argument("--length", type=int, default=50)
    args = p.parse_args(argv)

    rs = np.random.RandomState(0)
    n_small = 2000
    fm = np.maximum(rs.normal(size=(n_small, args.length, args.filters)), 0).astype(np.float32)
    active = active_filters(fm, fraction=0.2)           # dense activity: many instances per pair
    pairs = random_pairs(args.n_pairs, n_small, args.length, random_state=1)

    t0 = time.perf_counter()
    ref, nbytes = reference(active, pairs)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = interaction_counts(active, pairs)
    t_ours = time.perf_counter() - t0
    print(f"interaction counts: {args.n_pairs:,} pairs x {args.filters} filters, {int(ref.sum()):,} instances")
    print(f"  pairs x F x F reference        : {t_ref:8.3f} s  ({nbytes / 2**20:,.0f} MiB of temporaries)")
    print(f"  analysis.interaction_counts    : {t_ours:8.3f} s")
    print(f"  speed-up                       : {t_ref / t_ours:8.1f} x")
    print(f"  identical counts               : {bool(np.array_equal(ref, ours))}")

    n, L = args.n_seqs, args.length
    fm = np.maximum(rs.normal(size=(n, L, args.filters)), 0).astype(np.float32)
    att = rs.dirichlet(np.full(L, 0.2), size=(n, L)).astype(np.float32)
    thresholds = np.round(np.arange(10) * 0.1, 1)
    t0 = time.perf_counter()
    res = local_attention_maps(fm, att, thresholds)
    t_stream = time.perf_counter() - t0
    print(f"local_attention_maps: {n} seqs x {L} x {L} attention, {len(thresholds)} thresholds in one pass")
    print(f"  time                           : {t_stream:8.3f} s")
    print(f"  attended pairs at t=0 / t=0.1  : {res.n_pairs[0]:,} / {res.n_pairs[1]:,}; "
          f"instances at t=0: {int(res.counts[0].sum()):,}")
    per_pair = nbytes / args.n_pairs
    print(f"  the reference would need ~{per_pair * res.n_pairs[0] / 2**30:,.0f} GiB at t=0")
    record("local_attention", {"reference_seconds": t_ref, "reference_temporary_bytes": nbytes,
                               "interaction_counts_seconds": t_ours, "speedup": t_ref / t_ours,
                               "identical_counts": bool(np.array_equal(ref, ours)),
                               "local_attention_maps_seconds": t_stream, "pairs_t0": int(res.n_pairs[0]),
                               "reference_gib_at_t0": per_pair * res.n_pairs[0] / 2**30}, args)


if __name__ == "__main__":
    main()
