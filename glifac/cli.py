"""The ``glifac`` command (also ``python -m glifac``): one subcommand per step of the workflow.

Each subcommand lives in a module exposing ``add_arguments(parser)`` and
``run(args) -> int``; ``run`` turns the parsed options into typed configs and
calls the library. TensorFlow is imported after parsing, and only by the
subcommands that run a model, so ``--help``, argument errors and ``simulate``
are instant. Bad input is one line on stderr and exit code 2 (simulate.command).
"""
from __future__ import annotations

import argparse
import importlib

from simulate.command import OneLineErrorParser, run_command

DESCRIPTION = """\
glifac: interpretable convolution-attention networks (CANs) for regulatory genomics.
Simulate DNA sequences whose labels depend on motifs and on AND/XOR interactions
between them, train a CAN (convolution, pooling, multi-head attention) on them,
and read which motifs and motif pairs the network learned, with GLIFAC
(filter activity correlations) and local attention, scored against the truth."""

EPILOG = """\
typical use:
  glifac simulate --n 100000 --out data/sim.h5
  glifac train --data data/sim.h5 --model CNN20-Exp --out runs/cnn20
  glifac interpret --run runs/cnn20
run 'glifac COMMAND --help' for the options of each command."""

# name -> (module, one-line help, runs a model: imports TensorFlow and takes --threads)
SUBCOMMANDS = {
    "simulate": ("simulate.cli", "simulate labelled sequences from a motif grammar (an HDF5 dataset)", False),
    "genomic-benchmark": ("simulate.genomic_benchmarks",
                          "convert a Genomic Benchmarks folder you have into a dataset file", False),
    "train": ("glifac.training.cli", "train a CAN preset on a dataset (a run directory)", True),
    "interpret": ("glifac.interpretation.cli", "which motifs and motif interactions a trained run learned", True),
    "sweep": ("glifac.sweep.cli", "run a grid of models x seeds (x settings) and tabulate it", False),
    "gia": ("glifac.gia", "in-silico interaction test: embed motif pairs, measure epistasis", True),
    "attribute": ("glifac.attribution.pipeline", "attribution maps of a run, scored against the planted motifs",
                  True),
    "localise": ("glifac.localise", "does each importance source (AttnGen's masking) point at the planted motifs?",
                 True),
    "mask-curve": ("glifac.mask_curve", "accuracy as the most/least important positions are masked", True),
    "demo": ("glifac.demo", "simulate, train and interpret end to end (what make demo runs)", True),
}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="glifac", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"glifac {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineErrorParser)
    for name, (module_name, help_text, uses_model) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        if uses_model:
            p.add_argument("--threads", type=int, default=None, metavar="N",
                           help="CPU threads TensorFlow may use (default: all cores), e.g. to run "
                                "several trainings side by side (benchmarks/bench_threads.py)")
        p.set_defaults(_run=module.run, _uses_model=uses_model)
    return parser


def _version() -> str:
    from glifac._version import __version__

    return __version__


def _dispatch(args) -> int:
    if args._uses_model:
        from glifac.runtime import import_tensorflow_quietly, limit_threads

        limit_threads(args.threads)  # validates --threads before TensorFlow's import
        import_tensorflow_quietly()
    return args._run(args)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(_dispatch, args)
