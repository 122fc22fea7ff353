"""Train the paper's nine CANs on the default 100k dataset and tabulate test AUROC / AUPR.

Each model trains with ``python -m glifac train`` (the paper's recipe, up to 100
epochs with early stopping) into ``OUT/<model>``. Complete runs are reused and
interrupted ones resumed, so the script can be stopped and restarted. The table
goes to stdout and to ``benchmarks/results/paper_models.{md,json}``.

Usage::

    python benchmarks/train_paper_models.py [--data data/sim_n100000_seed0.h5] [--out runs/paper]
                                            [--models CNN20-Exp SATORI ...] [--seed 0] [--epochs 100]
                                            [--jobs 2]

``--jobs N`` trains N models at once, each on ``cores // N`` TensorFlow threads
(``glifac train --threads``), with its progress in ``OUT/<model>.log``. On the
2-core machine ``benchmarks/bench_threads.py`` measured a throughput ratio of
1.26-1.85 for pool-20 models and 0.87-1.18 for pool 4 against one run at a time.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from glifac.training.checkpoint import has_checkpoint

HERE = Path(__file__).resolve().parent
PAPER_MODELS = [
    "CNN20-Exp", "CNN20-Exp-Norm", "CNN20-ReLU", "CNN20-ReLU-Norm", "SATORI",
    "CNN4-Exp", "CNN4-Exp-Norm", "CNN4-ReLU", "CNN4-ReLU-Norm",
]  # fastest first: pool 20 trains ~3x faster than pool 4 on CPU


def summarize(run_dir: Path) -> dict | None:
    metrics_path = run_dir / "metrics.json"
    if not metrics_path.is_file() or (run_dir / ".incomplete").exists():
        return None
    metrics = json.loads(metrics_path.read_text())
    history = []
    if (run_dir / "history.csv").is_file():  # absent when a run failed in its first epoch
        with open(run_dir / "history.csv") as fh:
            history = list(csv.DictReader(fh))
    return {
        "model": run_dir.name,
        "status": metrics.get("status"),
        "test_auroc": metrics.get("test_auroc"),
        "test_aupr": metrics.get("test_aupr"),
        "epochs": len(history),
        "minutes": sum(float(row["seconds"]) for row in history) / 60,
    }


def table(rows: list[dict]) -> str:
    lines = ["| model | test AUROC | test AUPR | epochs | minutes |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['test_auroc']:.4f} | {r['test_aupr']:.4f} | {r['epochs']} | "
                     f"{r['minutes']:.1f} |")
    return "\n".join(lines)


def write_results(models: list[str], out: Path) -> list[dict]:
    """Table rows of the complete runs, also written to benchmarks/results/paper_models.{md,json}."""
    rows = [row for m in models if (row := summarize(out / m)) is not None and row["status"] == "complete"]
    if rows:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "paper_models.json").write_text(json.dumps(rows, indent=2))
        (HERE / "results" / "paper_models.md").write_text(table(rows) + "\n")
    return rows


def start_training(model: str, data: Path, out: Path, seed: int, epochs: int, threads: int | None,
                   log: bool) -> subprocess.Popen:
    """Start (or resume) ``glifac train`` for one model; its output goes to OUT/<model>.log if ``log``."""
    run_dir = out / model
    command = [sys.executable, "-m", "glifac", "train", "--data", str(data), "--model", model,
               "--seed", str(seed), "--epochs", str(epochs), "--out", str(run_dir)]
    if has_checkpoint(run_dir):
        command.append("--resume")
    elif run_dir.exists():  # killed before its first checkpoint: nothing to resume, start again
        command.append("--force")
    if threads is not None:
        command += ["--threads", str(threads)]
    print(f"== training {model} -> {run_dir}" + (f" (log {out / (model + '.log')})" if log else ""),
          flush=True)
    out.mkdir(parents=True, exist_ok=True)
    stdout = open(out / f"{model}.log", "a") if log else None
    return subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT if log else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sim_n100000_seed0.h5")
    parser.add_argument("--out", default="runs/paper")
    parser.add_argument("--models", nargs="+", default=PAPER_MODELS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1, help="models trained at once (default 1)")
    args = parser.parse_args()

    data = Path(args.data)
    if not data.exists():
        subprocess.run([sys.executable, "-m", "simulate", "--n", "100000", "--seed", "0", "--out", str(data)],
                       check=True)
    pending = [m for m in args.models if summarize(Path(args.out) / m) is None]
    threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    running: dict[str, subprocess.Popen] = {}
    while pending or running:
        while pending and len(running) < args.jobs:
            model = pending.pop(0)
            running[model] = start_training(model, data, Path(args.out), args.seed, args.epochs, threads,
                                            log=args.jobs > 1)
        finished = [m for m, proc in running.items() if proc.poll() is not None]
        for model in finished:
            code = running.pop(model).returncode
            print(f"== {model} finished (exit {code})", flush=True)
            write_results(args.models, Path(args.out))
        if not finished:
            time.sleep(5)

    rows = write_results(args.models, Path(args.out))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
