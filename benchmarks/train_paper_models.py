"""Train the paper's nine CANs on the default 100k dataset and tabulate test AUROC / AUPR.

Each model trains with ``python -m glifac train`` (the paper's recipe, up to 100
epochs with early stopping) into ``OUT/<model>``. Complete runs are reused and
interrupted ones resumed, so the script can be stopped and restarted. The table
goes to stdout and to ``benchmarks/results/paper_models.{md,json}``.

Usage::

    python benchmarks/train_paper_models.py [--data data/sim_n100000_seed0.h5] [--out runs/paper]
                                            [--models CNN20-Exp SATORI ...] [--seed 0] [--epochs 100]
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sim_n100000_seed0.h5")
    parser.add_argument("--out", default="runs/paper")
    parser.add_argument("--models", nargs="+", default=PAPER_MODELS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()

    data = Path(args.data)
    if not data.exists():
        subprocess.run([sys.executable, "-m", "simulate", "--n", "100000", "--seed", "0", "--out", str(data)],
                       check=True)
    rows = []
    for model in args.models:
        run_dir = Path(args.out) / model
        if summarize(run_dir) is None:
            resume = ["--resume"] if run_dir.exists() else []
            print(f"== training {model} -> {run_dir}", flush=True)
            subprocess.run([sys.executable, "-m", "glifac", "train", "--data", str(data), "--model", model,
                            "--seed", str(args.seed), "--epochs", str(args.epochs), "--out", str(run_dir),
                            *resume], check=False)
        row = summarize(run_dir)
        if row is not None and row["status"] == "complete":
            rows.append(row)
            (HERE / "results").mkdir(exist_ok=True)
            (HERE / "results" / "paper_models.json").write_text(json.dumps(rows, indent=2))
            (HERE / "results" / "paper_models.md").write_text(table(rows) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
