"""``glifac sweep run | status | table``: run a grid of cells, see where it stands, tabulate its results."""
from __future__ import annotations

import argparse

from simulate.command import OneLineErrorParser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sweep_command", required=True, metavar="ACTION",
                                parser_class=OneLineErrorParser)
    run = sub.add_parser("run", help="run every cell of a grid not yet complete (re-run to continue)")
    run.add_argument("grid", help="grid file (TOML) or a shipped grid: paper, appendix-e, small")
    run.add_argument("--out", required=True, help="sweep directory")
    run.add_argument("--workers", type=int, default=1, help="cells at once (default 1)")
    run.add_argument("--threads-per-worker", type=int, default=None,
                     help="TensorFlow threads per cell (default cores // workers)")
    run.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                     help="run cells as Ray tasks: a local Ray, or the cluster at ADDRESS (HOST:PORT)")
    run.add_argument("--dry-run", action="store_true", help="list the cells and their status; run nothing")
    run.add_argument("--retry-failed", action="store_true", help="run failed cells (NaN loss) again")
    run.add_argument("--force", action="store_true", help="use an output directory that holds another sweep")
    run.add_argument("--quiet", action="store_true", help="no progress line")
    status = sub.add_parser("status", help="cells complete, failed (with reasons), running and pending; ETA")
    status.add_argument("out", help="sweep directory")
    table = sub.add_parser("table", help="mean ± sd over seeds of every headline metric")
    table.add_argument("out", help="sweep directory")
    table.add_argument("--by", default=None, help="group by these columns, comma-separated (default: model and axes)")
    table.add_argument("--format", choices=("md", "csv"), default="md")
    table.add_argument("--rebuild", action="store_true", help="recreate results.sqlite from the cell directories")


def run(args) -> int:
    return {"run": _run, "status": _status, "table": _table}[args.sweep_command](args)


def _run(args) -> int:
    from glifac.sweep import load_grid, run_sweep

    grid = load_grid(args.grid)
    result = run_sweep(grid, args.out, workers=args.workers, threads_per_worker=args.threads_per_worker,
                       ray=args.ray, dry_run=args.dry_run, retry_failed=args.retry_failed, force=args.force,
                       quiet=args.quiet)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
    print(f"{grid.name}: {counts}; results: {result.database}")
    return 1 if result.counts.get("failed") and not args.dry_run else 0


def _status(args) -> int:
    from glifac.sweep import sweep_status

    s = sweep_status(args.out)
    print(f"grid {s['grid']}: {s['cells']} cells")
    for status in ("complete", "failed", "running", "interrupted", "pending"):
        names = s["by_status"].get(status, [])
        print(f"  {status:<11} {len(names)}")
        if status == "failed":
            for name in names:
                print(f"    {name}: {s['failed_reasons'].get(name)}")
    if s["mean_cell_seconds"] is not None:
        print(f"mean cell {s['mean_cell_seconds'] / 60:.1f} min; {s['remaining_cells']} cells left, "
              f"about {s['remaining_cell_hours']:.2f} worker-hours")
    return 0


def _table(args) -> int:
    from glifac.sweep import sweep_table

    by = [b.strip() for b in args.by.split(",")] if args.by else None
    rows = sweep_table(args.out, by=by, rebuild=args.rebuild)
    if not rows:
        print("no cells")
        return 0
    keys = [k for k in rows[0] if not isinstance(rows[0][k], tuple)]
    metrics = [k for k in rows[0] if isinstance(rows[0][k], tuple)]
    if args.format == "csv":
        print(",".join(keys + [f"{m}_{s}" for m in metrics for s in ("mean", "sd")]))
        for r in rows:
            print(",".join([str(r[k]) for k in keys] + [_num(v) for m in metrics for v in r[m]]))
        return 0
    print("| " + " | ".join(k.removeprefix("axis_") for k in keys + metrics) + " |")
    print("|" + "---|" * (len(keys) + len(metrics)))
    for r in rows:
        cells = [str(r[k]) for k in keys]
        for m in metrics:
            mean, sd = r[m]
            cells.append("–" if mean is None else f"{mean:.3f}" + ("" if sd is None else f" ± {sd:.3f}"))
        print("| " + " | ".join(cells) + " |")
    return 0


def _num(value) -> str:
    return "" if value is None else f"{value:.6g}"
