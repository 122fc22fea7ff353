"""Simulate sequences carrying motifs under AND/XOR interaction grammars.

Quick use::

    import simulate
    grammar = simulate.load_grammar()              # the paper's default grammar
    simulate.make_dataset("data/sim.h5", n=100_000, seed=0)
    ds = simulate.load("data/sim.h5")              # ds.x_train (N, 200, 4) uint8, ...

This package never imports TensorFlow or Keras.
"""
from __future__ import annotations

from pathlib import Path

from simulate.dataset import FORMAT_VERSION, Dataset, load, write_dataset
from simulate.encoding import decode, encode, one_hot
from simulate.errors import InputError
from simulate.files import refuse_existing
from simulate.generate import (
    GENERATOR_VERSION,
    SPLIT_NAMES,
    Simulation,
    labels_from_presence,
    simulate_sequences,
    simulate_splits,
)
from simulate.grammar import Grammar, Interaction, Motif, default_grammar_path, load_grammar

__all__ = [
    "FORMAT_VERSION",
    "GENERATOR_VERSION",
    "SPLIT_NAMES",
    "Dataset",
    "Grammar",
    "InputError",
    "Interaction",
    "Motif",
    "Simulation",
    "decode",
    "default_grammar_path",
    "encode",
    "labels_from_presence",
    "load",
    "load_grammar",
    "make_dataset",
    "one_hot",
    "simulate_sequences",
    "simulate_splits",
    "write_dataset",
]


def make_dataset(
    path: str | Path,
    n: int,
    seed: int = 0,
    length: int = 200,
    grammar: Grammar | str | Path | None = None,
    force: bool = False,
) -> Path:
    """Simulate ``n`` sequences, split 70/10/20, and write them to ``path``.

    ``grammar`` is a :class:`Grammar`, a grammar file path, or ``None`` for the default.
    """
    if not isinstance(grammar, Grammar):
        grammar = load_grammar(grammar)
    path = Path(path)
    refuse_existing(path, force)  # fail before spending time simulating
    splits = simulate_splits(grammar, n, length=length, seed=seed)
    return write_dataset(path, splits, grammar, seed=seed, length=length, force=force)
