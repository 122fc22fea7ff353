"""Vectorized simulation of sequences carrying motif instances under a grammar.

Sampling scheme (documented contract, see README "Simulated data"):

1. Each sequence draws its number of instances K uniformly from
   ``grammar.sampling["instances"]`` (default 1..5).
2. With probability ``pair_probability`` (default 0.5) a sequence is *seeded*
   with one pair chosen uniformly among the interactions and the decoys: both
   of its motifs fill two of the K slots (K is raised to 2 if it was 1). All other slots draw a motif uniformly
   from the grammar, with replacement. Without seeding, an AND label needs two
   independent hits and its positive rate falls to about 0.05; with seeding the
   default grammar gives AND ~0.15, XOR ~0.12, independent ~0.16.
3. Slots are put in random order and placed left to right without overlap:
   the free bases beyond the compulsory ``min_gap`` spacers are split among the
   sequence's own K + 1 gaps as a uniform random composition (every split
   equally likely, so every gap has the same distribution; see :func:`_place`).
4. Each instance is sampled base by base from its PPM, then reverse-complemented
   with probability 0.5. Background bases are i.i.d. from ``background``.
5. Labels follow :func:`labels_from_presence`.

Every random draw comes from one ``numpy.random.Generator`` seeded once, in a
fixed order, so a seed and a grammar determine the arrays exactly. There is no
Python loop over sequences or bases: the loops below run over instance slots
(at most ``instances[1]``) and motifs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.errors import InputError
from simulate.encoding import one_hot
from simulate.grammar import Grammar

SPLIT_NAMES = ("train", "valid", "test")
# Which generator made a dataset (stored in the file): 1 placed instances by the
# K smallest of 5 cut points, crowding motifs to the left end; 2 splits the free
# bases as a uniform random composition. Bump it whenever the same seed and
# grammar would give different arrays.
GENERATOR_VERSION = 2
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)


@dataclass
class Simulation:
    """Arrays produced by :func:`simulate_sequences` (one split or all sequences).

    Attributes
    ----------
    x : numpy.ndarray, shape (N, L, 4), uint8
        One-hot sequences, channels last, A, C, G, T.
    y : numpy.ndarray, shape (N, T), uint8
        Labels, one task per grammar motif in grammar order.
    placements : numpy.ndarray, shape (M, 4), int32
        Rows ``(seq_index, motif_index, start, strand)`` sorted by sequence and start;
        ``start`` is 0-based on the forward strand, ``strand`` 1 = reverse complement.
    """

    x: np.ndarray
    y: np.ndarray
    placements: np.ndarray

    def subset(self, index: np.ndarray) -> "Simulation":
        """Sequences ``index`` (in that order), placements renumbered to match."""
        new_position = np.full(len(self.x), -1, dtype=np.int64)
        new_position[index] = np.arange(len(index))
        rows = self.placements[new_position[self.placements[:, 0]] >= 0].copy()
        rows[:, 0] = new_position[rows[:, 0]]
        order = np.lexsort((rows[:, 2], rows[:, 0]))
        return Simulation(x=self.x[index], y=self.y[index], placements=rows[order])


def labels_from_presence(presence: np.ndarray, grammar: Grammar) -> np.ndarray:
    """Apply the grammar's label rules to motif presence.

    Parameters
    ----------
    presence : numpy.ndarray, shape (N, T), bool
        Whether each motif occurs at least once in each sequence.
    grammar : Grammar

    Returns
    -------
    numpy.ndarray, shape (N, T), uint8
        Independent motif: present. AND pair (A, B): both labels are 1 when both
        motifs are present, else both 0. XOR pair: A is 1 when A is present and
        B absent, and symmetrically.
    """
    presence = np.asarray(presence, dtype=bool)
    if presence.ndim != 2 or presence.shape[1] != len(grammar.motifs):
        raise InputError(f"presence must have shape (N, {len(grammar.motifs)}), got {presence.shape}")
    labels = presence.copy()
    for interaction in grammar.interactions:
        a, b = (grammar.index(name) for name in interaction.motifs)
        if interaction.logic == "and":
            both = presence[:, a] & presence[:, b]
            labels[:, a] = both
            labels[:, b] = both
        else:  # xor
            labels[:, a] = presence[:, a] & ~presence[:, b]
            labels[:, b] = presence[:, b] & ~presence[:, a]
    return labels.astype(np.uint8)


def class_labels(task_labels: np.ndarray, grammar: Grammar) -> np.ndarray:
    """Two-class labels of a grammar with ``two_class`` (see :mod:`simulate.grammar`).

    Parameters
    ----------
    task_labels : numpy.ndarray, shape (N, M)
        :func:`labels_from_presence` output.
    grammar : Grammar

    Returns
    -------
    numpy.ndarray, shape (N, 2), uint8
        One-hot ``[negative, positive]``: positive when any interaction whose
        logic is in ``two_class["logics"]`` has its label on (an AND pair: both
        motifs present; an XOR pair: exactly one).
    """
    logics = set(grammar.two_class["logics"])
    firsts = [grammar.index(i.motifs[0]) for i in grammar.interactions if i.logic in logics]
    positive = task_labels[:, firsts].any(axis=1) if firsts else np.zeros(len(task_labels), bool)
    return np.stack([~positive, positive], axis=1).astype(np.uint8)


def simulate_sequences(grammar: Grammar, n: int, length: int = 200, seed: int = 0) -> Simulation:
    """Simulate ``n`` labelled sequences of ``length`` bases under ``grammar``.

    Returns
    -------
    Simulation
        ``x`` (n, length, 4) uint8, ``y`` (n, T) uint8 (T = the grammar's
        :attr:`~simulate.grammar.Grammar.output_names`), ``placements`` (M, 4) int32.
    """
    check_size(grammar, n, length, seed)
    rng = np.random.default_rng(seed)
    slots, used = _draw_slots(grammar, n, rng)
    starts = _place(grammar, slots, used, length, rng)
    seq_idx, slot_idx = np.nonzero(used)
    motif_idx = slots[seq_idx, slot_idx]
    inst_start = starts[seq_idx, slot_idx]
    strand = (rng.random(len(seq_idx)) < 0.5).astype(np.int64)
    bases = _background(grammar.sampling["background"], n, length, rng)
    _write_instances(bases, grammar, seq_idx, motif_idx, inst_start, strand, rng)

    presence = np.zeros((n, len(grammar.motifs)), dtype=bool)
    presence[seq_idx, motif_idx] = True
    placements = np.stack([seq_idx, motif_idx, inst_start, strand], axis=1).astype(np.int32)
    order = np.lexsort((placements[:, 2], placements[:, 0]))
    labels = labels_from_presence(presence, grammar)
    if grammar.two_class is not None:
        labels = class_labels(labels, grammar)
    return Simulation(x=one_hot(bases), y=labels, placements=placements[order])


def _draw_slots(grammar: Grammar, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-2: motif index per slot (n, max_instances) and which slots are used."""
    sampling = grammar.sampling
    lo, hi = sampling["instances"]
    counts = rng.integers(lo, hi + 1, size=n)
    slots = rng.integers(0, len(grammar.motifs), size=(n, hi))
    pairs = grammar.seeded_pairs()
    if pairs and sampling["pair_probability"] > 0:
        seeded = rng.random(n) < sampling["pair_probability"]
        pair_index = np.array([[grammar.index(name) for name in pair] for pair in pairs])
        chosen = pair_index[rng.integers(0, len(pair_index), size=n)]
        slots[seeded, :2] = chosen[seeded]
        counts[seeded] = np.maximum(counts[seeded], 2)
    used = np.arange(hi)[None, :] < counts[:, None]
    # Random slot order: used slots first in random order, unused (key 2) last.
    keys = np.where(used, rng.random((n, hi)), 2.0)
    slots = np.take_along_axis(slots, np.argsort(keys, axis=1), axis=1)
    slots[~used] = -1
    return slots, used


def _place(grammar: Grammar, slots, used, length: int, rng) -> np.ndarray:
    """Step 3: 0-based start of every slot (n, max_instances), left to right.

    Each sequence's free bases (its slack S, beyond motif widths and the
    ``min_gap`` spacers) are split among its own K + 1 gaps as a uniform random
    composition: by stars and bars, the K bar positions are a uniform K-subset
    of ``range(S + K)``, drawn with Floyd's algorithm one slot at a time (so the
    loop runs over slots, never over sequences). Sorting the subset and
    subtracting each bar's rank gives the cut points ``c_1 <= ... <= c_K`` in
    ``[0, S]``; gap k is ``c_k - c_{k-1}``. Every composition is equally likely,
    so all K + 1 gaps share one distribution (mean S / (K + 1)).
    """
    n, hi = slots.shape
    widths = np.array([m.width for m in grammar.motifs], dtype=np.int64)
    gap = grammar.sampling["min_gap"]
    slot_width = np.where(used, widths[np.maximum(slots, 0)], 0)
    counts = used.sum(axis=1)
    slack = length - slot_width.sum(axis=1) - (counts + 1) * gap
    population = slack + counts  # stars (free bases) + bars (one per instance)
    bars = np.full((n, hi), np.iinfo(np.int64).max)
    for k in range(hi):  # Floyd: the k-th draw is uniform on [0, population - K + k]
        active = k < counts
        top = population - counts + k
        draw = np.floor(rng.random(n) * (top + 1)).astype(np.int64)
        taken = (bars[:, :k] == draw[:, None]).any(axis=1)
        bars[active, k] = np.where(taken, top, draw)[active]
    bars = np.sort(bars, axis=1)
    cuts = np.where(used, bars - np.arange(hi)[None, :], slack[:, None])
    extra_gap = np.diff(cuts, axis=1, prepend=0)
    return np.cumsum(extra_gap + gap, axis=1) + np.cumsum(slot_width, axis=1) - slot_width


def _background(composition, n: int, length: int, rng) -> np.ndarray:
    """I.i.d. background base indices (n, length) uint8."""
    composition = np.asarray(composition, dtype=float)
    if not np.allclose(composition, 0.25):
        return rng.choice(4, size=(n, length), p=composition).astype(np.uint8)
    # Uniform: four bases per random byte, two bits each (much faster than integers()).
    packed = np.frombuffer(rng.bytes(-(-n * length // 4)), dtype=np.uint8)
    bases = (packed[:, None] >> np.array([0, 2, 4, 6], dtype=np.uint8)) & np.uint8(3)
    return bases.reshape(-1)[: n * length].reshape(n, length)


def _write_instances(bases, grammar: Grammar, seq_idx, motif_idx, inst_start, strand, rng) -> None:
    """Step 4: sample each instance from its PPM and write it into ``bases`` in place."""
    widths = np.array([m.width for m in grammar.motifs], dtype=np.int64)
    max_w = int(widths.max())
    uniforms = rng.random((len(seq_idx), max_w))
    instance_bases = np.zeros((len(seq_idx), max_w), dtype=np.uint8)
    by_motif = np.argsort(motif_idx, kind="stable")
    bounds = np.searchsorted(motif_idx[by_motif], np.arange(len(grammar.motifs) + 1))
    for m, motif in enumerate(grammar.motifs):
        rows = by_motif[bounds[m] : bounds[m + 1]]
        cdf = np.cumsum(motif.ppm, axis=1)[:, :3]  # base = number of cut points passed
        u = uniforms[rows, : motif.width]
        instance_bases[rows, : motif.width] = (u[:, :, None] > cdf[None, :, :]).sum(axis=2, dtype=np.uint8)
    # Reverse complement: forward-strand position p reads 3 - base[w - 1 - p].
    inst_width = widths[motif_idx]
    offsets = np.arange(max_w)[None, :]
    valid = offsets < inst_width[:, None]
    reverse = strand[:, None] == 1
    source = np.where(reverse, inst_width[:, None] - 1 - offsets, offsets)
    written = np.take_along_axis(instance_bases, np.where(valid, source, 0), axis=1)
    written = np.where(reverse, 3 - written, written)
    flat = (seq_idx * bases.shape[1] + inst_start)[:, None] + offsets
    bases.reshape(-1)[flat[valid]] = written[valid]


def split_indices(n: int, seed: int, fractions=SPLIT_FRACTIONS) -> dict[str, np.ndarray]:
    """Shuffled train/valid/test indices (70/10/20 by default), from ``seed``."""
    permutation = np.random.default_rng([seed, 1]).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_valid = int(round(fractions[1] * n))
    bounds = np.cumsum([0, n_train, n_valid, n - n_train - n_valid])
    return {name: permutation[bounds[k] : bounds[k + 1]] for k, name in enumerate(SPLIT_NAMES)}


def simulate_splits(grammar: Grammar, n: int, length: int = 200, seed: int = 0) -> dict[str, Simulation]:
    """Simulate ``n`` sequences and split them 70/10/20 into train, valid and test."""
    check_size(grammar, n, length, seed)
    if n < MIN_SEQUENCES:
        raise InputError(f"--n must be at least {MIN_SEQUENCES} so that train, valid and test each get sequences")
    everything = simulate_sequences(grammar, n, length=length, seed=seed)
    return {name: everything.subset(index) for name, index in split_indices(n, seed).items()}


MIN_SEQUENCES = 10  # the smallest n whose 70/10/20 split leaves no split empty


def check_size(grammar: Grammar, n, length, seed=0) -> None:
    """Reject counts, lengths and seeds that cannot produce a dataset."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"--n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed!r}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise InputError(f"--length must be a positive integer, got {length!r}")
    if length < grammar.min_length():
        lo, hi = grammar.sampling["instances"]
        raise InputError(
            f"--length {length} is too short: {hi} instances of the widest motif "
            f"({grammar.max_width} nt) with gaps need at least {grammar.min_length()} nt"
        )
