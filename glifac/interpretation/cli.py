"""``glifac interpret``: command-line options -> :class:`InterpretConfig` -> :func:`interpret`.

With ``--run`` it interprets a run directory of ``glifac train``; with
``--model`` any Keras convolution-attention model on the user's own sequences
(:func:`glifac.interpretation.own_model.interpret_model`).
"""
from __future__ import annotations

import argparse

from glifac.interpretation.config import DEFAULT_THRESHOLDS, InterpretConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = InterpretConfig()
    parser.add_argument("--run", default=None, help="run directory written by `glifac train`")
    parser.add_argument("--model", default=None, metavar="MODEL.keras",
                        help="instead of --run: any Keras model with a Conv1D, a pooling layer and "
                             "MultiHeadAttention on (L, 4) one-hot input (needs --data)")
    parser.add_argument("--data", default=None,
                        help="with --run: dataset file (default: the run's); with --model: sequences as FASTA "
                             "(.fa/.fasta, optionally .gz), a dataset .h5 or one-hot .npy")
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
    parser.add_argument("--out", default=None,
                        help="output directory (default RUN_DIR/interpret, or MODEL-interpret with --model)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    own = parser.add_argument_group("your own model (--model)")
    own.add_argument("--conv-layer", default=None, help="the first convolution's name (default: found by type)")
    own.add_argument("--feature-layer", default=None,
                     help="the pooling layer whose output GLIFAC correlates (default: the first after the conv)")
    own.add_argument("--attention-layer", default=None, help="the MultiHeadAttention layer (default: the only one)")
    own.add_argument("--motifs", default=None, metavar="jaspar|FILE.meme",
                     help="label filters against JASPAR (default) or a MEME motif file")
    own.add_argument("--jaspar-collection", default="CORE", help="JASPAR collection (default CORE)")
    own.add_argument("--jaspar-taxon", default="vertebrates",
                     help="JASPAR taxonomic group, or 'all' (default vertebrates)")
    own.add_argument("--truth", default=None, metavar="PAIRS.tsv",
                     help="ground-truth motif pairs (motif_a TAB motif_b per line): scores the maps")
    own.add_argument("--task-names", default=None, help="comma-separated names of the model's outputs")


def config_from_args(args) -> InterpretConfig:
    """The :class:`InterpretConfig` of a parsed command line (validated)."""
    return InterpretConfig(thresholds=args.thresholds, heads=args.heads, null_shuffles=args.null_shuffles,
                           jaspar=args.jaspar, max_sequences=args.max_sequences, seed=args.seed,
                           batch_size=args.batch_size)


_OWN_MODEL_OPTIONS = ("conv_layer", "feature_layer", "attention_layer", "motifs", "truth", "task_names")


def run(args) -> int:
    from simulate.errors import InputError

    from glifac.interpretation.pipeline import interpret, print_headline

    if (args.run is None) == (args.model is None):
        raise InputError("pass either --run RUN (a glifac run) or --model MODEL.keras --data SEQUENCES")
    config = config_from_args(args)
    if args.model is not None:
        from glifac.interpretation.own_model import ModelSource, interpret_model

        if args.data is None:
            raise InputError("--model needs --data: the sequences to interpret (FASTA, .h5 or .npy)")
        source = ModelSource(conv_layer=args.conv_layer, feature_layer=args.feature_layer,
                             attention_layer=args.attention_layer, motifs=args.motifs,
                             jaspar_collection=args.jaspar_collection, jaspar_taxon=args.jaspar_taxon,
                             truth=args.truth, task_names=args.task_names)
        result = interpret_model(args.model, args.data, config, args.out, source=source, force=args.force,
                                 quiet=args.quiet)
    else:
        given = [name for name in _OWN_MODEL_OPTIONS if getattr(args, name) is not None]
        given += [name for name, default in (("jaspar_collection", "CORE"), ("jaspar_taxon", "vertebrates"))
                  if getattr(args, name) != default]
        if given:
            raise InputError(f"--{given[0].replace('_', '-')} goes with --model, not --run")
        result = interpret(args.run, config, args.out, data=args.data, force=args.force, quiet=args.quiet)
    print_headline(result, quiet=args.quiet)
    return 0
