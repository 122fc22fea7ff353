"""Throughput of analysis.dinucleotide_shuffle against the deeplift/tangermeme-style shuffle.

Usage: python benchmarks/bench_shuffle.py [--n-seqs 20000] [--length 200] [--repeats 3]

The reference is tangermeme's ``dinucleotide_shuffle`` when tangermeme (and
torch) can be imported, timed on the same sequences (tangermeme wants
channels-first tensors; that conversion is done before timing and only for
it). Otherwise, and always in addition, a plain numba re-implementation of the
deeplift/tangermeme algorithm (it keeps every vertex's original last-exit
edge, so it is not uniform) is timed. The script also counts how many of the
27 valid shuffles of ACCCACGATGATG each method reaches.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from analysis import dinucleotide_shuffle

from _record import record


@numba.njit(cache=True)
def _reference_kernel(idx, n, seed, out):
    """deeplift-style: permute each base's successor list except its original last entry, then walk."""
    np.random.seed(seed)
    N, L = idx.shape
    nxt = np.zeros((4, max(L, 1)), np.int64)
    cnt = np.zeros(4, np.int64)
    pos = np.zeros(4, np.int64)
    for s in range(N):
        if L == 0:
            continue
        cnt[:] = 0
        for k in range(L - 1):
            c = idx[s, k]
            nxt[c, cnt[c]] = idx[s, k + 1]
            cnt[c] += 1
        for r in range(n):
            for c in range(4):
                m = cnt[c] - 1          # keep the last edge in place
                for a in range(m - 1, 0, -1):
                    b = np.random.randint(0, a + 1)
                    tmp = nxt[c, a]
                    nxt[c, a] = nxt[c, b]
                    nxt[c, b] = tmp
                pos[c] = 0
            u = idx[s, 0]
            out[s, r, 0, u] = 1
            for k in range(1, L):
                w = nxt[u, pos[u]]
                pos[u] += 1
                out[s, r, k, w] = 1
                u = w


def reference_shuffle(x, n=1, seed=0):
    idx = np.argmax(x, axis=-1).astype(np.int8)
    out = np.zeros((x.shape[0], n, x.shape[1], 4), dtype=x.dtype)
    _reference_kernel(idx, n, seed, out)
    return out


def _tangermeme():
    try:
        import torch
        from tangermeme.ersatz import dinucleotide_shuffle as tm_shuffle
    except Exception:  # not installed: fall back to the re-implementation only
        return None

    def run(x, n=1, seed=0):
        xt = torch.from_numpy(np.ascontiguousarray(np.swapaxes(x, 1, 2)))  # third-party layout (N, 4, L)
        t0 = time.perf_counter()
        out = tm_shuffle(xt, n=n, random_state=seed)
        return out, time.perf_counter() - t0

    return run


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def reached(shuffles):
    return len({tuple(np.argmax(s, -1)) for s in shuffles})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-seqs", type=int, default=20000)
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)

    rs = np.random.RandomState(0)
    x = np.eye(4, dtype=np.float32)[rs.randint(4, size=(args.n_seqs, args.length))]
    small = x[:50]
    dinucleotide_shuffle(small, random_state=0)      # compile / load numba caches
    reference_shuffle(small)

    t_ours = best_time(lambda: dinucleotide_shuffle(x, random_state=1), args.repeats)
    t_ref = best_time(lambda: reference_shuffle(x, seed=1), args.repeats)
    ours = args.n_seqs / t_ours
    ref = args.n_seqs / t_ref
    print(f"{args.n_seqs} sequences x {args.length} nt, 1 shuffle each, best of {args.repeats}")
    print(f"  analysis.dinucleotide_shuffle (uniform)      : {ours:12,.0f} shuffles/s  ({t_ours:.3f} s)")
    print(f"  deeplift-style re-implementation (numba)     : {ref:12,.0f} shuffles/s  ({t_ref:.3f} s)")
    print(f"  ratio ours / re-implementation               : {ours / ref:.2f}")

    demo = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in "ACCCACGATGATG"]][None]
    n_demo = 5000
    results = {"ours_per_second": ours, "reimplementation_per_second": ref, "ratio_reimplementation": ours / ref,
               "reached_of_27_ours": reached(dinucleotide_shuffle(demo, n=n_demo, random_state=0)[0]),
               "reached_of_27_reimplementation": reached(reference_shuffle(demo, n=n_demo)[0])}
    print(f"distinct shuffles of ACCCACGATGATG reached in {n_demo} draws (27 valid):")
    print(f"  ours: {results['reached_of_27_ours']}"
          f"   re-implementation: {results['reached_of_27_reimplementation']}")

    tm = _tangermeme()
    if tm is None:
        print("tangermeme not importable: reference above is the re-implementation only")
        record("shuffle", results, args)
        return
    tm(small)
    t_tm = min(tm(x, seed=1)[1] for _ in range(args.repeats))
    tms = args.n_seqs / t_tm
    print(f"  tangermeme.ersatz.dinucleotide_shuffle       : {tms:12,.0f} shuffles/s  ({t_tm:.3f} s)")
    print(f"  ratio ours / tangermeme                      : {ours / tms:.2f}")
    out, _ = tm(demo, n=n_demo, seed=0)
    results.update(tangermeme_per_second=tms, ratio_tangermeme=ours / tms,
                   reached_of_27_tangermeme=reached(out.numpy()[0].swapaxes(1, 2)))
    print(f"  tangermeme reaches {results['reached_of_27_tangermeme']} of 27")
    record("shuffle", results, args)


if __name__ == "__main__":
    main()
