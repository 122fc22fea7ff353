"""Benchmark the sweep runner against its references, each measured in the same run.

1. Overhead: 8 tiny cells through ``glifac sweep run --workers 1`` against the
   same cells as sequential ``glifac train`` + ``glifac interpret`` commands
   (target: ratio <= 1.05).
2. Throughput: 2 workers x 1 thread against 1 worker x 2 threads, for CNN20 and
   CNN4 cells, in cells per hour.
3. Ray: the tiny grid on a local 2-CPU Ray against the local pool, start-up
   included (target: ratio <= 1.2).

Usage::

    python benchmarks/bench_sweep.py [--parts overhead,throughput,ray] [--out /tmp/bench_sweep]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _record import record

TINY = """
name = "{name}"
models = [{models}]
seeds = [{seeds}]
[data]
n = {n}
seed = 0
length = {length}
[model]
n_filters = {filters}
dense_units = {dense}
attention_units = 32
[train]
epochs = {epochs}
patience = "none"
[interpret]
thresholds = "0.1,0.5"
max_sequences = {interpret_n}
"""
TINY_CELLS = dict(models='"CNN20-Exp", "CNN20-ReLU"', seeds="0, 1, 2, 3", n=1000, length=120, filters=8,
                  dense=16, epochs=2, interpret_n=200)


def glifac(*args, env=None) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "glifac", *map(str, args)], capture_output=True, text=True,
                            env=env)
    if result.returncode not in (0, 1):
        raise SystemExit(f"glifac {' '.join(map(str, args))} failed:\n{result.stderr}")
    return time.perf_counter() - start


def write_grid(root: Path, name: str, **values) -> Path:
    path = root / f"{name}.toml"
    path.write_text(TINY.format(name=name, **values))
    return path


def overhead(root: Path) -> dict:
    from glifac.sweep.driver import load_manifest

    grid_file = write_grid(root, "tiny", **TINY_CELLS)
    sweep_seconds = glifac("sweep", "run", grid_file, "--out", root / "sweep", "--workers", "1", "--quiet")
    _, cells = load_manifest(root / "sweep")  # the same cells, on the sweep's own data file
    start = time.perf_counter()
    for cell in cells:
        run = root / "sequential" / cell.name
        config = root / "sequential" / f"{cell.name}.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps({"model": cell.model, "model_config": cell.model_config,
                                      "training": cell.training}))
        glifac("train", "--data", cell.data["path"], "--config", config, "--out", run, "--quiet")
        interpret = cell.interpret
        glifac("interpret", "--run", run, "--thresholds", interpret["thresholds"], "--max-sequences",
               interpret["max_sequences"], "--seed", interpret["seed"], "--quiet")
    sequential_seconds = time.perf_counter() - start
    ratio = sweep_seconds / sequential_seconds
    print(f"overhead: {len(cells)} cells; sweep --workers 1 {sweep_seconds:.1f} s, sequential commands "
          f"{sequential_seconds:.1f} s: ratio {ratio:.2f} (target <= 1.05)", flush=True)
    return {"cells": len(cells), "sweep_seconds": sweep_seconds, "sequential_seconds": sequential_seconds,
            "ratio": ratio}


def throughput(root: Path) -> dict:
    out = {}
    for model, filters in (("CNN20-Exp", 32), ("CNN4-Exp", 32)):
        grid_file = write_grid(root, f"tp-{model}", models=f'"{model}"', seeds="0, 1", n=5000, length=200,
                               filters=filters, dense=64, epochs=2, interpret_n=500)
        timing = {}
        for label, workers, threads in (("2x1", 2, 1), ("1x2", 1, 2)):
            seconds = glifac("sweep", "run", grid_file, "--out", root / f"tp-{model}-{label}", "--workers",
                             workers, "--threads-per-worker", threads, "--quiet")
            timing[label] = {"seconds": seconds, "cells_per_hour": 2 * 3600 / seconds}
        timing["ratio_2x1_over_1x2"] = timing["2x1"]["cells_per_hour"] / timing["1x2"]["cells_per_hour"]
        print(f"throughput {model}: 2 workers x 1 thread {timing['2x1']['cells_per_hour']:.0f} cells/h, "
              f"1 worker x 2 threads {timing['1x2']['cells_per_hour']:.0f} cells/h "
              f"(ratio {timing['ratio_2x1_over_1x2']:.2f})", flush=True)
        out[model] = timing
    return out


def ray_vs_pool(root: Path) -> dict:
    grid_file = write_grid(root, "ray", **TINY_CELLS)
    env = {**os.environ, "RAY_TMPDIR": "/tmp", "RAY_AUTH_MODE": "disabled"}
    pool = glifac("sweep", "run", grid_file, "--out", root / "ray-pool", "--workers", "2",
                  "--threads-per-worker", "1", "--quiet")
    ray = glifac("sweep", "run", grid_file, "--out", root / "ray-ray", "--ray", "--workers", "2",
                 "--threads-per-worker", "1", "--quiet", env=env)
    print(f"ray: local pool {pool:.1f} s, local Ray {ray:.1f} s (start-up included): ratio {ray / pool:.2f} "
          f"(target <= 1.2)", flush=True)
    return {"pool_seconds": pool, "ray_seconds": ray, "ratio": ray / pool}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="overhead,throughput,ray")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_sweep"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    parts = {"overhead": overhead, "throughput": throughput, "ray": ray_vs_pool}
    results = {}
    for name in args.parts.split(","):
        results[name] = parts[name](args.out)
    record("sweep", results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
