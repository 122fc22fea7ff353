"""Benchmark: ``python -m glifac interpret`` wall time and peak memory on a CNN4 model.

Target (issue #4): a CNN4 model (50 pooled positions), the full 20k test split, all 10
thresholds and a dinucleotide-shuffled null of the same size in <= 90 s wall and
<= 3 GB peak memory on 2 cores. Per-step ratios against per-pair reference loops
come from ``bench_correlation.py``, ``bench_local_attention.py`` and ``bench_shuffle.py``.

Without ``--run`` the script simulates 100k sequences and saves an *untrained*
CNN4-Exp as a run directory: interpretation cost does not depend on the weights
(every threshold is a dense pass over the attention maps), only the scores do.

Usage::

    python benchmarks/bench_interpret.py [--run RUN_DIR] [--workdir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _record import record



def make_untrained_run(workdir: Path) -> Path:
    """A run directory with an untrained CNN4-Exp on a fresh 100k dataset."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import architectures
    import simulate
    from glifac import rundir

    data = workdir / "data.h5"
    if not data.exists():
        simulate.make_dataset(data, n=100_000, seed=0)
    run_dir = workdir / "cnn4_untrained"
    run_dir.mkdir(exist_ok=True)
    model = architectures.build_model("CNN4-Exp")
    rundir.atomic_save_model(model, run_dir / "model.keras")
    rundir.write_config(run_dir, {"model": "CNN4-Exp", "data": {"path": str(data.resolve())}})
    return run_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="trained run directory (default: untrained CNN4-Exp)")
    parser.add_argument("--workdir", default=None, help="where to put data and outputs (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        run_dir = Path(args.run) if args.run else make_untrained_run(workdir)
        out = workdir / "interpret_bench"
        command = [sys.executable, "-m", "glifac", "interpret", "--run", str(run_dir), "--out", str(out),
                   "--force", "--quiet"]
        # warm-up on a few sequences: numba/Tomtom compilation is a one-time cost per environment
        subprocess.run(command[:-1] + ["--max-sequences", "200", "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        scores = json.loads((out / "scores.json").read_text())

    result = {
        "model": scores["provenance"]["model"],
        "n_sequences": scores["provenance"]["n_sequences"],
        "thresholds": len(scores["glifac"]),
        "null_shuffles": scores["provenance"]["null_shuffles"],
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(peak_mb),
        "targets": {"wall_s": 90, "peak_rss_mb": 3072},
    }
    print(f"interpret {result['model']}: {result['n_sequences']:,} sequences, {result['thresholds']} thresholds, "
          f"null x{result['null_shuffles']}: {wall:.1f} s wall, peak {peak_mb:.0f} MB "
          f"(targets 90 s, 3072 MB)")
    record("interpret", result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
