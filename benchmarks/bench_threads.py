"""Throughput of two single-thread trainings side by side versus one run on every core.

Reference: one bare ``model.fit`` (``bench_train.bare_fit``) with TensorFlow's
thread pools at ``--threads-one`` (default: all cores). Candidate: ``--jobs``
copies of the same fit started together, each capped with
``glifac.cli.limit_threads(cores // jobs)``. Each run happens in a fresh process
(thread pools are fixed at TensorFlow's first op); per-epoch times skip the first
(tracing) epoch. Printed: sequences per second of each and the ratio
candidate total / reference, per model. This is what ``--threads`` and
``benchmarks/train_paper_models.py --jobs`` rely on.

Usage::

    python benchmarks/bench_threads.py [--models CNN20-Exp CNN4-Exp] [--n 10000] [--epochs 3] [--jobs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _record import record


def worker(model: str, n: int, epochs: int, threads: int | None) -> None:
    """One fit in this process; prints its training sequences per second as JSON."""
    from glifac.runtime import import_tensorflow_quietly, limit_threads

    import_tensorflow_quietly()
    limit_threads(threads)
    from bench_train import bare_fit, synthetic_dataset

    ds = synthetic_dataset(n)
    seconds = bare_fit(ds, model, epochs, batch_size=100, seed=0)
    print(json.dumps({"seq_per_s": len(ds.x_train) / statistics.median(seconds[1:])}), flush=True)


def _start(model, n, epochs, threads):
    command = [sys.executable, __file__, "--worker", "--models", model, "--n", str(n), "--epochs", str(epochs)]
    if threads is not None:
        command += ["--threads", str(threads)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _rate(proc) -> float:
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"worker failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])["seq_per_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["CNN20-Exp", "CNN4-Exp"])
    parser.add_argument("--n", type=int, default=10000, help="sequences (70% train)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads-one", type=int, default=None, help="reference run's threads (default all)")
    parser.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.models[0], args.n, args.epochs, args.threads)
        return 0

    per_job = max(1, (os.cpu_count() or 1) // args.jobs)
    results = {"threads_per_job": per_job}
    for model in args.models:
        reference = _rate(_start(model, args.n, args.epochs, args.threads_one))
        procs = [_start(model, args.n, args.epochs, per_job) for _ in range(args.jobs)]
        rates = [_rate(p) for p in procs]
        print(f"{model:10s} one run, all threads: {reference:7.0f} seq/s | {args.jobs} runs x {per_job} "
              f"thread(s): {' + '.join(f'{r:.0f}' for r in rates)} = {sum(rates):7.0f} seq/s | "
              f"ratio {sum(rates) / reference:.2f}", flush=True)
        results[model] = {"one_run_seq_per_s": reference, "jobs_seq_per_s": rates,
                          "ratio": sum(rates) / reference}
    record("threads", results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
