"""Execute the figure notebooks (jupytext percent files) headless with papermill, at one scale.

Each notebook runs (or, with --no-run, names the command for) the sweep it needs, then writes its
figures, the numbers it drew (``OUT/data/``) and its findings (``OUT/findings/``); ``findings.py`` runs
last and writes ``OUT/findings.md``. Executed notebooks go to ``OUT/notebooks/``; nothing is written
into the repository.

Usage::

    python notebooks/run_all.py --scale small|tiny|full [--sweeps sweeps] [--out figures/small] [--no-run]
                                [--timeout 7200] [--only fig1,fig2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("fig1", "fig2", "fig3", "fig5", "fig6", "controls", "table", "attngen", "findings")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("tiny", "small", "full"), default="small")
    parser.add_argument("--sweeps", type=Path, default=Path("sweeps"), help="where the sweeps live (default sweeps/)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default figures/SCALE)")
    parser.add_argument("--no-run", action="store_true", help="do not run missing sweeps; name their commands")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds a cell may take (default 7200)")
    parser.add_argument("--only", default=None, help="comma-separated notebooks (default: all, in order)")
    args = parser.parse_args(argv)
    import jupytext
    import papermill

    if args.scale == "full":
        print("full scale: the paper grid (90 cells, about 200 worker-hours here), paper-decoys (90 cells, about "
              "200), appendix-e (420 cells, about 4,000, most of it key sizes 256 and 512; docs/sweeps.md) and "
              "attngen (210 cells on 100k two-class sequences). "
              "Meant for a GPU machine or a Ray cluster (set RAY_ADDRESS). Sweeps resume where they stop.",
              flush=True)
    out = (args.out or Path("figures") / args.scale).resolve()
    executed = out / "notebooks"
    executed.mkdir(parents=True, exist_ok=True)
    names = args.only.split(",") if args.only else ORDER
    for name in names:
        started = time.perf_counter()
        notebook = jupytext.read(HERE / f"{name}.py")
        source = executed / f"{name}.source.ipynb"
        jupytext.write(notebook, source)
        papermill.execute_notebook(
            str(source), str(executed / f"{name}.ipynb"), kernel_name="python3", progress_bar=False,
            parameters={"scale": args.scale, "sweep_root": str(args.sweeps.resolve()), "out": str(out),
                        "run_missing": not args.no_run},
            execution_timeout=args.timeout, cwd=str(out))
        source.unlink()
        print(f"{name}: done in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"figures and findings.md in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
