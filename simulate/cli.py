"""``glifac simulate`` (also ``python -m simulate``): write a simulated motif-grammar dataset (HDF5)."""
from __future__ import annotations

import argparse
import time

from simulate.command import OneLineErrorParser, run_command

DESCRIPTION = "Simulate sequences carrying JASPAR motifs under AND/XOR interaction logic."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, required=True, help="number of sequences (split 70/10/20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--length", type=int, default=200, help="sequence length in nt (default 200)")
    parser.add_argument("--grammar", default=None,
                        help="grammar: a JSON file or a shipped name such as paper (default: the paper's grammar)")
    parser.add_argument("--out", default=None, help="output .h5 path (default data/sim_n{N}_seed{S}.h5)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    parser.add_argument("--quiet", action="store_true", help="print only the output path")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="python -m simulate", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(run, args, interrupted="interrupted; no file written")


def run(args) -> int:
    """Simulate, write the file, and print its path (and, unless quiet, the positive rates)."""
    from pathlib import Path

    from simulate.dataset import write_dataset
    from simulate.files import refuse_existing
    from simulate.generate import check_size, simulate_splits
    from simulate.grammar import load_grammar

    started = time.perf_counter()
    out = Path(args.out) if args.out else Path("data") / f"sim_n{args.n}_seed{args.seed}.h5"
    refuse_existing(out, args.force)
    grammar = load_grammar(args.grammar)
    check_size(grammar, args.n, args.length, args.seed)
    splits = simulate_splits(grammar, args.n, length=args.length, seed=args.seed)
    write_dataset(out, splits, grammar, seed=args.seed, length=args.length, force=args.force)
    print(out)
    if not args.quiet:
        sizes = ", ".join(f"{name} {len(part.y):,}" for name, part in splits.items())
        print(f"{args.n:,} sequences of {args.length} nt ({sizes}); seed {args.seed}")
        y = [part.y for part in splits.values()]
        rates = sum(part.sum(axis=0) for part in y) / args.n
        logic = {name: i.logic.upper() for i in grammar.interactions for name in i.motifs}
        if grammar.two_class is not None:
            print("class rates: " + ", ".join(f"{name} {rate:.3f}" for name, rate in zip(grammar.output_names, rates)))
        else:
            print("positive rate per task:")
            for name, rate in zip(grammar.motif_names, rates):
                print(f"  {name:<12} {logic.get(name, 'indep'):<6} {rate:.3f}")
        print(f"done in {time.perf_counter() - started:.2f} s")
    return 0
