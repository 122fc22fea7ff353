"""Command line: ``python -m glifac train | interpret | demo``.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``. Heavy imports (TensorFlow, Keras) happen inside ``run``,
after arguments are parsed, so ``--help`` and argument errors are instant.
Any :class:`simulate.errors.InputError` becomes one line on stderr, exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from simulate.cli import OneLineErrorParser
from simulate.errors import InputError

# subcommand name -> (module, one-line help)
SUBCOMMANDS = {
    "train": ("glifac.train", "train a CAN preset on a simulated dataset"),
    "interpret": ("glifac.interpret", "score motif interactions learned by a trained run"),
    "demo": ("glifac.demo", "simulate, train and interpret end to end"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="python -m glifac", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.add_argument("--threads", type=int, default=None, metavar="N",
                       help="CPU threads TensorFlow may use (default: all cores), e.g. to run "
                            "several trainings side by side (benchmarks/bench_threads.py)")
        p.set_defaults(_run=module.run)
    return parser


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with file descriptor 2 silenced.

    TensorFlow's C++ start-up lines (absl, oneDNN, CPU features) bypass Python
    and ``TF_CPP_MIN_LOG_LEVEL``; they would turn a one-line error into five.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def limit_threads(threads: int | None) -> None:
    """Cap TensorFlow's intra- and inter-op thread pools at ``threads`` (None: leave the default).

    Must run before TensorFlow executes its first op, which fixes the pools.
    Small CANs parallelise poorly inside one op, so runs side by side on fewer
    threads each can beat one run on all cores (benchmarks/bench_threads.py).
    """
    if threads is None:
        return
    if threads < 1:
        raise InputError(f"--threads must be at least 1, got {threads}")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime already started (an in-process caller); keep its pools
        pass


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        import_tensorflow_quietly()
        limit_threads(getattr(args, "threads", None))
        return int(args._run(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
