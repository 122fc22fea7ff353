"""Does a per-position score point at the planted motifs? Instance masks and per-sequence AUROC.

Used to score AttnGen's importance sources (and any attribution map) against
the simulator's placements: for each sequence, the AUROC of the scores of the
positions inside planted instances against those outside.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from analysis._validate import as_array
from simulate.errors import InputError

__all__ = ["instance_mask", "localisation_auroc"]


def instance_mask(placements, n_sequences: int, length: int, widths) -> np.ndarray:
    """Which positions of each sequence lie inside a planted motif instance.

    Parameters
    ----------
    placements : array_like, shape (M, 4), int
        ``(seq_index, motif_index, start, strand)`` rows, as in the dataset file.
    n_sequences, length : int
        N and L of the sequences the placements refer to.
    widths : array_like, shape (K,), int
        Width of each motif, indexed by ``motif_index``.

    Returns
    -------
    numpy.ndarray, bool, shape (N, L)
    """
    placements = as_array(placements, "placements", (2,)).astype(np.int64)
    widths = np.asarray(widths, dtype=np.int64)
    if placements.shape[1] != 4:
        raise InputError(f"placements must be (M, 4), got {placements.shape}")
    mask = np.zeros((n_sequences, length), dtype=bool)
    if not len(placements):
        return mask
    seq, motif, start = placements[:, 0], placements[:, 1], placements[:, 2]
    if seq.min() < 0 or seq.max() >= n_sequences or motif.min() < 0 or motif.max() >= len(widths):
        raise InputError("placements refer to sequences or motifs outside the given ranges")
    width = widths[motif]
    if start.min() < 0 or (start + width).max() > length:
        raise InputError("placements run past the sequence ends")
    # one row and column index per covered position, no loop over instances
    offsets = np.arange(width.max())
    covered = offsets[None, :] < width[:, None]
    rows = np.broadcast_to(seq[:, None], covered.shape)[covered]
    cols = (start[:, None] + offsets[None, :])[covered]
    mask[rows, cols] = True
    return mask


def localisation_auroc(scores, mask) -> np.ndarray:
    """Per-sequence AUROC of ``scores`` for telling instance positions from the rest.

    Parameters
    ----------
    scores : array_like, shape (N, L)
        Per-position scores (higher: more important).
    mask : array_like, bool, shape (N, L)
        True inside planted instances (:func:`instance_mask`).

    Returns
    -------
    numpy.ndarray, float64, shape (N,)
        AUROC per sequence (ties count one half); NaN for a sequence whose
        positions are all inside or all outside instances. 1: every instance
        position outscores every other; 0.5: no better than chance.
    """
    scores = as_array(scores, "scores", (2,)).astype(np.float64)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != scores.shape:
        raise InputError(f"scores {scores.shape} and mask {mask.shape} differ in shape")
    ranks = rankdata(scores, axis=1)  # average ranks: ties count one half
    positives = mask.sum(axis=1).astype(np.float64)
    negatives = mask.shape[1] - positives
    rank_sum = np.where(mask, ranks, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    auroc[(positives == 0) | (negatives == 0)] = np.nan
    return auroc
