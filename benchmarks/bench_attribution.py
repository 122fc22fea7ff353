"""Benchmark: attribution throughput against the forward and backward passes it is made of.

On an untrained CNN20-Exp preset (speed does not depend on the weights), 200-nt sequences:

* in-silico mutagenesis of ``--n`` sequences (3 x 200 substitutions each) against the same model's
  plain ``predict_in_batches`` on as many inputs (target >= 0.8: building the mutants and the
  bookkeeping may cost at most 20%);
* integrated gradients with 50 steps on ``--n-ig`` sequences against plain input gradients
  (:func:`glifac.attribution.methods.saliency`) of as many inputs (``--n-ig`` x 50), target >= 0.8.

Usage::

    python benchmarks/bench_attribution.py [--n 1000] [--n-ig 200] [--model CNN20-Exp] [--batch-size 1024]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from _record import record



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--n-ig", type=int, default=200)
    parser.add_argument("--model", default="CNN20-Exp")
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()

    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import architectures
    import simulate
    from glifac.attribution.methods import integrated_gradients, mutagenesis, saliency

    model = architectures.build_model(args.model, input_length=200, n_tasks=12)
    rng = np.random.default_rng(0)
    x = simulate.one_hot(rng.integers(0, 4, size=(args.n, 200))).astype(np.float32)
    architectures.predict_in_batches(model, x[:64], args.batch_size)  # compile outside the timings
    mutagenesis(model, x[:2], batch_size=args.batch_size)

    start = time.perf_counter()
    mutagenesis(model, x, batch_size=args.batch_size)
    ism_seconds = time.perf_counter() - start
    inputs = simulate.one_hot(rng.integers(0, 4, size=(args.n * 600, 200))).astype(np.float32)
    start = time.perf_counter()
    architectures.predict_in_batches(model, inputs, args.batch_size)
    predict_seconds = time.perf_counter() - start
    del inputs
    ism_ratio = predict_seconds / ism_seconds
    print(f"mutagenesis: {args.n:,} sequences ({args.n * 600:,} mutants) in {ism_seconds:.1f} s; plain predict of as "
          f"many inputs {predict_seconds:.1f} s: ratio {ism_ratio:.2f} (target >= 0.8)", flush=True)

    x_ig = x[: args.n_ig]
    integrated_gradients(model, x_ig[:2], steps=50, batch_size=args.batch_size)
    start = time.perf_counter()
    integrated_gradients(model, x_ig, steps=50, batch_size=args.batch_size)
    ig_seconds = time.perf_counter() - start
    path_inputs = simulate.one_hot(rng.integers(0, 4, size=(args.n_ig * 50, 200))).astype(np.float32)
    saliency(model, path_inputs[:2], batch_size=args.batch_size)
    start = time.perf_counter()
    saliency(model, path_inputs, batch_size=args.batch_size)
    gradient_seconds = time.perf_counter() - start
    ig_ratio = gradient_seconds / ig_seconds
    print(f"integrated gradients: {args.n_ig} sequences x 50 steps in {ig_seconds:.1f} s; plain gradients of as many "
          f"inputs {gradient_seconds:.1f} s: ratio {ig_ratio:.2f} (target >= 0.8)", flush=True)
    summary = {"model": args.model, "n": args.n, "n_ig": args.n_ig, "mutagenesis_seconds": ism_seconds,
               "predict_seconds": predict_seconds, "mutagenesis_ratio": ism_ratio, "ig_seconds": ig_seconds,
               "gradient_seconds": gradient_seconds, "ig_ratio": ig_ratio, "target": 0.8}
    record("attribution", summary, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
