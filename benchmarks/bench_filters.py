"""Benchmark: filter PPMs at paper scale and Tomtom matching against JASPAR.

Scale of the spec: N = 20,000 sequences, L = 200, F = 32 filters, W = 19.
Activations are ReLU'd Gaussian noise with planted strong responses, so each
filter has sites at a few per cent of positions; a second run uses
threshold 0 (every positive position is a site, the worst case for counting).
Peak memory is measured with tracemalloc on top of the inputs.

Usage::

    python benchmarks/bench_filters.py [--n 20000] [--repeats 3]

Writes benchmarks/results/filters.json.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

from analysis.filters import filter_ppms
from analysis.tomtom import match_filters
from simulate.jaspar import jaspar_ppms

from _record import record


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--width", type=int, default=19)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    N, L, F, W = args.n, args.length, args.filters, args.width
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (N, L))]
    act = np.maximum(rng.standard_normal((N, L, F), dtype=np.float32), 0)
    hits = rng.random((N, L, F)) < 0.02
    act[hits] += 4.0

    results = {"n": N, "length": L, "filters": F, "width": W}
    for threshold in (0.5, 0.0):
        t, (ppms, n_sites) = best_of(lambda: filter_ppms(x, act, W, threshold=threshold),
                                     args.repeats)
        tracemalloc.start()
        filter_ppms(x, act, W, threshold=threshold)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[f"filter_ppms_threshold_{threshold}"] = {
            "seconds": round(t, 3),
            "peak_extra_mb": round(peak / 2**20, 1),
            "mean_sites_per_filter": float(n_sites.mean()),
        }
        print(f"filter_ppms threshold={threshold}: {t:.2f} s, peak +{peak / 2**20:.0f} MB, "
              f"{n_sites.mean():.0f} sites/filter")

    start = time.perf_counter()
    names, motifs = jaspar_ppms()
    results["jaspar_load_seconds"] = round(time.perf_counter() - start, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        match_filters(ppms, motifs, names)  # compile / warm-up
    t, rows = best_of(lambda: match_filters(ppms, motifs, names, n_sites=n_sites), args.repeats)
    results["match_filters_jaspar"] = {"seconds": round(t, 3), "targets": len(motifs)}
    print(f"jaspar_ppms: {results['jaspar_load_seconds']:.2f} s ({len(motifs)} motifs); "
          f"match_filters {F} filters x {len(motifs)} targets: {t:.3f} s")

    record("filters", results, args)


if __name__ == "__main__":
    main()
