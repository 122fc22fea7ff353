"""Does GLIFAC read learned interactions, or co-occurrence? Train on paper-decoys data and compare every method.

Simulates the ``paper-decoys`` grammar (the paper's plus two decoy pairs that
co-occur exactly like the true pairs but do not interact), trains each model,
interprets it (GLIFAC, local attention and their controls) and runs the
in-silico interaction test, then tabulates each method's motif-pair AUROC
against all pairs and against the decoys. Every step goes through the
``glifac`` command and is skipped when its output is complete, so the script
resumes where it stopped. The table goes to stdout and to
``OUT/decoy_controls.md`` (and ``.json``).

Usage::

    python docs/investigations/decoy_controls.py [--out runs/decoys] [--n 100000] [--epochs 40]
                                                  [--models CNN20-Exp CNN20-ReLU] [--jobs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

METHOD_ORDER = ("glifac", "local", "glifac_random", "cooccurrence", "gia")


def glifac(*args, log=None) -> subprocess.Popen:
    out = open(log, "a") if log else None
    return subprocess.Popen([sys.executable, "-m", "glifac", *map(str, args)], stdout=out,
                            stderr=subprocess.STDOUT if log else None)


def wait(procs) -> None:
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a step failed (exit {proc.returncode}): {proc.args}")


def rows_for(model: str, root: Path) -> list[dict]:
    scores = json.loads((root / model / "interpret" / "scores.json").read_text())
    k = next(i for i, row in enumerate(scores["glifac"]) if row["threshold"] == scores["headline_threshold"])
    rows = []
    for method in METHOD_ORDER[:-1]:
        if method in scores:
            row = scores[method][k]
            rows.append({"model": model, "method": method, "filter_auroc": row.get("auroc"),
                         "motif_auroc": row.get("motif_auroc"), "vs_decoys": row.get("motif_auroc_vs_decoys"),
                         "true_ranks": row.get("true_ranks"), "decoy_ranks": row.get("decoy_ranks")})
    gia = json.loads((root / model / "gia" / "gia.json").read_text())["scores"]
    rows.append({"model": model, "method": "gia", "filter_auroc": None, "motif_auroc": gia.get("motif_auroc"),
                 "vs_decoys": gia.get("motif_auroc_vs_decoys"), "true_ranks": gia.get("true_ranks"),
                 "decoy_ranks": gia.get("decoy_ranks")})
    metrics = json.loads((root / model / "metrics.json").read_text())
    for row in rows:
        row.update(test_aupr=metrics["test_aupr"], test_aupr_pooled=metrics["test_aupr_pooled"])
    return rows


def table(rows: list[dict]) -> str:
    def f(value):
        return "–" if value is None else f"{value:.3f}"

    lines = ["| model (test AUPR) | method | filter-pair AUROC | motif-pair AUROC | AUROC vs decoys | "
             "true pairs' ranks | decoys' ranks |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} ({r['test_aupr']:.3f}) | {r['method']} | {f(r['filter_auroc'])} | "
                     f"{f(r['motif_auroc'])} | {f(r['vs_decoys'])} | {r['true_ranks']} | {r['decoy_ranks']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/decoys"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--models", nargs="+", default=["CNN20-Exp", "CNN20-ReLU"])
    parser.add_argument("--jobs", type=int, default=2, help="models trained at once, on cores // jobs threads each")
    parser.add_argument("--n-backgrounds", type=int, default=500)
    args = parser.parse_args()
    root = args.out
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data.h5"
    if not data.exists():
        wait([glifac("simulate", "--n", args.n, "--grammar", "paper-decoys", "--out", data, "--quiet")])
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    pending = [m for m in args.models if not (root / m / "metrics.json").is_file()]
    while pending:
        batch, pending = pending[:args.jobs], pending[args.jobs:]
        procs = []
        for model in batch:
            resume = ["--resume"] if (root / model / "checkpoint").is_dir() else (
                ["--force"] if (root / model).exists() else [])
            procs.append(glifac("train", "--data", data, "--model", model, "--epochs", args.epochs,
                                "--threads", threads, "--out", root / model, *resume, log=root / f"{model}.log"))
        wait(procs)
    for model in args.models:
        if not (root / model / "interpret" / "scores.json").is_file():
            wait([glifac("interpret", "--run", root / model, "--force", log=root / f"{model}.log")])
        if not (root / model / "gia" / "gia.json").is_file():
            wait([glifac("gia", "--run", root / model, "--n-backgrounds", args.n_backgrounds, "--force",
                         log=root / f"{model}.log")])
    rows = [row for model in args.models for row in rows_for(model, root)]
    text = table(rows)
    (root / "decoy_controls.md").write_text(text + "\n")
    (root / "decoy_controls.json").write_text(json.dumps(rows, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
