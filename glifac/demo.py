"""``glifac demo``: simulate, train and interpret end to end (what ``make demo`` runs).

Steps, each through the library and each skipped when its complete output is
already there (delete the directory, or pass ``--fresh``, to start over):

1. :func:`simulate.make_dataset` -> ``OUT/data.h5`` (100k sequences, the paper's grammar);
2. :func:`glifac.training.train` -> ``OUT/run`` (CNN20-Exp, at most 40 epochs, the fast recipe);
3. :func:`glifac.interpretation.interpret` -> ``OUT/interpret`` (report.html).

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
OUTPUT_NAMES = ("data.h5", "run", "interpret")


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
    """Run the three steps into ``out``; returns an exit code (1 when training diverged)."""
    import simulate
    from glifac.interpretation import InterpretConfig, interpret
    from glifac.interpretation.pipeline import print_headline
    from glifac.training import model_for_data, recipe_config, train
    from glifac.training.fit import completed_run_matches
    from simulate.files import check_replaceable

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

    run_dir = out / "run"
    model_config = model_for_data(model, dataset, DEMO_MODEL_OVERRIDES)
    if completed_run_matches(run_dir, dataset, model_config, training):
        print(f"[2/3] reusing trained model in {run_dir}", flush=True)
    else:
        print(f"[2/3] training {model} for up to {epochs} epochs -> {run_dir}", flush=True)
        result = train(dataset, model_config, training, run_dir, force=True, quiet=quiet)
        if not result.complete:
            print(f"error: training failed: {result.metrics['reason']}", flush=True)
            return 1

    print(f"[3/3] interpreting -> {out / 'interpret'}", flush=True)
    result = interpret(run_dir, interpret_config, out / "interpret", force=True, quiet=quiet)
    print_headline(result, quiet=quiet)
    print(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    return 0


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
