"""``glifac interpret``: command-line options -> :class:`InterpretConfig` -> :func:`interpret`."""
from __future__ import annotations

import argparse

from glifac.interpretation.config import DEFAULT_THRESHOLDS, InterpretConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = InterpretConfig()
    parser.add_argument("--run", required=True, help="run directory written by `glifac train`")
    parser.add_argument("--data", default=None, help="dataset file (default: the one the run was trained on)")
    parser.add_argument(
        "--thresholds", default=DEFAULT_THRESHOLDS,
        help="attention thresholds: comma-separated values, start:stop:step ranges (stop included), "
             f"or null quantiles q90, q95, q99 (default {DEFAULT_THRESHOLDS})",
    )
    parser.add_argument("--heads", choices=("max", "mean"), default=defaults.heads,
                        help="combine heads by (default max)")
    parser.add_argument("--null-shuffles", type=int, default=defaults.null_shuffles,
                        help="dinucleotide shuffles per test sequence for the null (default 1)")
    parser.add_argument("--jaspar", action="store_true",
                        help="also match filters against all JASPAR2020 CORE vertebrate motifs")
    parser.add_argument("--max-sequences", type=int, default=defaults.max_sequences,
                        help="use only the first N test sequences (default: all)")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help="seed for shuffles and random pairs (default 0)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="sequences per forward pass")
    parser.add_argument("--out", default=None, help="output directory (default RUN_DIR/interpret)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def config_from_args(args) -> InterpretConfig:
    """The :class:`InterpretConfig` of a parsed command line (validated)."""
    return InterpretConfig(thresholds=args.thresholds, heads=args.heads, null_shuffles=args.null_shuffles,
                           jaspar=args.jaspar, max_sequences=args.max_sequences, seed=args.seed,
                           batch_size=args.batch_size)


def run(args) -> int:
    from glifac.interpretation.pipeline import interpret, print_headline

    result = interpret(args.run, config_from_args(args), args.out, data=args.data, force=args.force,
                       quiet=args.quiet)
    print_headline(result, quiet=args.quiet)
    return 0
