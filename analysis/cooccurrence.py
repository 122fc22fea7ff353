"""The model-free baseline: how often motifs occur together in the same sequences.

A grammar that seeds sequences with both motifs of a pair makes those pairs
co-occur more than any other, so any statistic of co-occurrence can recover
them whatever a model learned. :func:`presence_correlation` is that statistic,
computed from the dataset's placements (no model), to be scored beside every
interaction map as its floor.
"""
from __future__ import annotations

import numpy as np

from analysis._validate import as_array, check_int
from simulate.errors import InputError

__all__ = ["motif_presence", "presence_correlation"]


def motif_presence(placements, n_sequences: int, n_motifs: int) -> np.ndarray:
    """Which motifs each sequence carries.

    Parameters
    ----------
    placements : array_like, shape (M, 4), int
        Rows ``(seq_index, motif_index, start, strand)`` (the dataset's ``placements_*``);
        rows with ``seq_index >= n_sequences`` are ignored (a subset of the split).
    n_sequences, n_motifs : int

    Returns
    -------
    numpy.ndarray, shape (n_sequences, n_motifs), bool
    """
    rows = as_array(placements, "placements", 2)
    if rows.shape[1] != 4 or (rows.size and rows.dtype.kind not in "iu"):
        raise InputError(f"placements must be (M, 4) integers (seq, motif, start, strand), got {rows.shape}")
    n_sequences = check_int(n_sequences, "n_sequences", minimum=1)
    n_motifs = check_int(n_motifs, "n_motifs", minimum=1)
    rows = rows[rows[:, 0] < n_sequences]
    if rows.size and (rows[:, 0].min() < 0 or rows[:, 1].min() < 0 or rows[:, 1].max() >= n_motifs):
        raise InputError(f"placements hold sequence or motif indices outside 0..{n_sequences - 1}, 0..{n_motifs - 1}")
    presence = np.zeros((n_sequences, n_motifs), dtype=bool)
    presence[rows[:, 0], rows[:, 1]] = True
    return presence


def presence_correlation(presence) -> np.ndarray:
    """Pearson correlation between motifs' presence across sequences.

    Parameters
    ----------
    presence : array_like, shape (N, M), bool

    Returns
    -------
    numpy.ndarray, shape (M, M), float64
        Symmetric, zero diagonal; 0 for a motif present in all or none of the sequences.
    """
    x = as_array(presence, "presence", 2).astype(np.float64)
    x = x - x.mean(axis=0)
    norms = np.sqrt((x * x).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (x.T @ x) / np.outer(norms, norms)
    corr[~np.isfinite(corr)] = 0.0
    np.fill_diagonal(corr, 0.0)
    return corr
