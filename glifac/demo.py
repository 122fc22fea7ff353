"""``glifac demo``: simulate, train and interpret end to end (what ``make demo`` runs).

Steps, each through the library and each skipped when its complete output is
already there (delete the directory, or pass ``--fresh``, to start over):

1. :func:`simulate.make_dataset` -> ``OUT/data.h5`` (100k sequences, the paper's grammar);
2. one sweep cell (:mod:`glifac.sweep.cell`, the mechanism every sweep uses): train
   CNN20-Exp (at most 40 epochs, the fast recipe) and interpret it, in
   ``OUT/cells/<model>-s<seed>-<id>/``; a cell whose outputs are complete is reused, and any
   change of data, model, training or interpretation settings is another cell;
3. ``OUT/run`` and ``OUT/interpret`` point at the cell's run and its report.

The demo trains CNN20-Exp with ``attention_units=32`` (Keras's own output
projection instead of the authors' 8 x 32 = 256-wide output): on the default
dataset both reach the same validation AUPR epoch for epoch (0.812 after 12
epochs), and the narrow one trains twice as fast on a CPU.
"""
from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from simulate.errors import InputError

DEMO_MODEL = "CNN20-Exp"
DEMO_EPOCHS = 40
DEMO_MODEL_OVERRIDES = {"attention_units": 32}  # see the module docstring
OUTPUT_NAMES = ("data.h5", "cells", "run", "interpret")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo", help="output directory (default demo/)")
    parser.add_argument("--n", type=int, default=100_000, help="sequences to simulate (default 100000)")
    parser.add_argument("--model", default=DEMO_MODEL, help=f"architecture preset (default {DEMO_MODEL})")
    parser.add_argument("--epochs", type=int, default=DEMO_EPOCHS, help=f"maximum epochs (default {DEMO_EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed for every step (default 0)")
    parser.add_argument("--max-sequences", type=int, default=None, help="interpret only N test sequences")
    parser.add_argument("--fresh", action="store_true", help="delete OUT and start over")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def run(args) -> int:
    return demo(Path(args.out), n=args.n, model=args.model, epochs=args.epochs, seed=args.seed,
                max_sequences=args.max_sequences, fresh=args.fresh, quiet=args.quiet)


def demo(out: Path, n: int = 100_000, model: str = DEMO_MODEL, epochs: int = DEMO_EPOCHS, seed: int = 0,
         max_sequences: int | None = None, fresh: bool = False, quiet: bool = False) -> int:
    """Run the three steps into ``out``; returns an exit code (1 when training failed)."""
    import simulate
    from glifac.interpretation import InterpretConfig
    from glifac.interpretation.outputs import headline_summary
    from glifac.interpretation.pipeline import InterpretResult, print_headline
    from glifac.sweep.cell import cell_status, make_cell, run_cell
    from glifac.training import model_for_data, recipe_config
    from simulate.files import check_replaceable, read_json, sha256_file

    started = time.perf_counter()
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    training = recipe_config(epochs=epochs, seed=seed)  # validated before anything is written
    interpret_config = InterpretConfig(seed=seed, max_sequences=max_sequences)
    if out.exists():
        # demo reuses and --fresh deletes: only ever touch a folder holding demo output
        check_replaceable(out, OUTPUT_NAMES, flag="--fresh" if fresh else "demo")
        if fresh:
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    data = out / "data.h5"
    dataset = _reusable_dataset(data, n, seed)
    if dataset is None:
        print(f"[1/3] simulating {n:,} sequences -> {data}", flush=True)
        simulate.make_dataset(data, n=n, seed=seed, force=True)
        dataset = simulate.load(data)
    else:
        print(f"[1/3] reusing {data}", flush=True)

    data_record = {"path": str(data.resolve()), "sha256": sha256_file(data)}
    cell = make_cell(model, seed, {}, data_record, model_for_data(model, dataset, DEMO_MODEL_OVERRIDES), training,
                     interpret_config)
    cell_dir = cell.directory(out)
    if cell_status(cell_dir) == "complete":
        print(f"[2/3] reusing trained and interpreted model in {cell_dir}", flush=True)
    else:
        print(f"[2/3] training {model} for up to {epochs} epochs, then interpreting -> {cell_dir}", flush=True)
        rows = run_cell(cell.to_dict(), str(out), echo=not quiet)
        if rows["cell"]["status"] != "complete":
            print(f"error: the demo cell failed: {rows['cell']['reason']}", flush=True)
            return 1
    run_dir = cell_dir / "run"
    _point(out / "run", run_dir)
    _point(out / "interpret", run_dir / "interpret")
    print(f"[3/3] report -> {out / 'interpret' / 'report.html'}", flush=True)
    scores = read_json(run_dir / "interpret" / "scores.json")
    print_headline(InterpretResult(out=out / "interpret", summary=headline_summary(scores), seconds=0.0), quiet=True)
    print(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    return 0


def _point(link: Path, target: Path) -> None:
    """Make ``link`` a relative symbolic link to ``target`` (replacing an older link atomically)."""
    import os

    tmp = link.with_name(f".{link.name}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)


def _reusable_dataset(path: Path, n: int, seed: int):
    """The dataset at ``path`` if it holds ``n`` sequences simulated with ``seed`` by today's generator."""
    import simulate

    if not path.is_file():
        return None
    try:
        dataset = simulate.load(path)
    except InputError:
        return None
    total = sum(len(getattr(dataset, f"y_{split}")) for split in simulate.SPLIT_NAMES)
    if dataset.seed != seed or total != n or dataset.generator_version != simulate.GENERATOR_VERSION:
        return None
    return dataset
