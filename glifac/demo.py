"""``python -m glifac demo``: simulate, train and interpret end to end (``make demo``).

Steps, each skipped when its complete output is already there (delete the
directory, or pass ``--fresh``, to start over):

1. ``python -m simulate --n N --seed S --out OUT/data.h5``
2. ``python -m glifac train --data OUT/data.h5 --model MODEL --epochs E --out OUT/run``
3. ``python -m glifac interpret --run OUT/run --out OUT/interpret``

The defaults (100k sequences, CNN20-Exp, at most 40 epochs) finish in about
10 minutes on 2 CPU cores. The demo trains CNN20-Exp with ``--attention-units 32``
(Keras's own output projection instead of the authors' 8 x 32 = 256-wide output):
on the default dataset both reach the same validation AUPR epoch for epoch
(0.812 after 12 epochs), and the narrow one trains twice as fast on a CPU.
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
DEMO_OVERRIDES = tuple(item for key, value in DEMO_MODEL_OVERRIDES.items()
                       for item in (f"--{key.replace('_', '-')}", str(value)))
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
    from glifac import rundir
    from glifac.cli import build_parser

    started = time.perf_counter()
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {args.seed}")
    out = Path(args.out)
    if out.exists():
        # demo reuses and --fresh deletes: only ever touch a folder holding demo output
        rundir.check_replaceable(out, OUTPUT_NAMES, flag="--fresh" if args.fresh else "demo")
        if args.fresh:
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    quiet = ["--quiet"] if args.quiet else []

    data = out / "data.h5"
    if not _data_matches(data, args.n, args.seed):
        print(f"[1/3] simulating {args.n:,} sequences -> {data}", flush=True)
        import simulate

        simulate.make_dataset(data, n=args.n, seed=args.seed, force=True)
    else:
        print(f"[1/3] reusing {data}", flush=True)

    run_dir = out / "run"
    parser = build_parser()
    if not _run_matches(run_dir, args.model, args.epochs, args.seed, data):
        print(f"[2/3] training {args.model} for up to {args.epochs} epochs -> {run_dir}", flush=True)
        train = parser.parse_args(["train", "--data", str(data), "--model", args.model, "--epochs",
                                   str(args.epochs), "--seed", str(args.seed), "--out", str(run_dir),
                                   "--force", *DEMO_OVERRIDES, *quiet])
        status = train._run(train)
        if status:
            return status
    else:
        print(f"[2/3] reusing trained model in {run_dir}", flush=True)

    print(f"[3/3] interpreting -> {out / 'interpret'}", flush=True)
    extra = ["--max-sequences", str(args.max_sequences)] if args.max_sequences else []
    interpret = parser.parse_args(["interpret", "--run", str(run_dir), "--out", str(out / "interpret"),
                                   "--seed", str(args.seed), "--force", *extra, *quiet])
    status = interpret._run(interpret)
    print(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    return status


def _data_matches(path: Path, n: int, seed: int) -> bool:
    """True when ``path`` is a dataset of ``n`` sequences simulated with ``seed``."""
    if not path.is_file():
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            total = sum(f[f"y_{split}"].shape[0] for split in ("train", "valid", "test"))
            return int(f.attrs.get("seed", -1)) == seed and total == n
    except (OSError, KeyError):
        return False


def _same_architecture(model: str, recorded: dict) -> bool:
    """True when a recorded model config is what the demo would build today (so a
    run trained before a preset changed is retrained rather than reused)."""
    from architectures.presets import config_from_dict, resolve_config

    try:
        old = config_from_dict(recorded)
    except (InputError, TypeError):
        return False
    wanted = resolve_config(model, input_length=old.input_length, n_tasks=old.n_tasks,
                            **DEMO_MODEL_OVERRIDES)
    return old == wanted


def _run_matches(run_dir: Path, model: str, epochs: int, seed: int, data: Path) -> bool:
    """True when ``run_dir`` is a complete run of ``model`` for ``epochs`` with ``seed`` on ``data``."""
    from glifac import rundir

    if not rundir.is_complete(run_dir):
        return False
    try:
        config = rundir.read_json(run_dir / rundir.CONFIG_FILE)
    except InputError:
        return False
    return (
        config.get("model") == model
        and _same_architecture(model, config.get("model_config") or {})
        and config.get("seed") == seed
        and (config.get("training") or {}).get("epochs") == epochs
        and (config.get("data") or {}).get("sha256") == rundir.sha256_file(data)
    )
