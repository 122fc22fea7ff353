"""Scores of attribution maps: against planted motifs, by their shape, and against each other.

Pure NumPy over arrays; the maps themselves (saliency, integrated gradients,
mutagenesis, ...) come from a model and are computed elsewhere. Conventions:
an attribution map is ``(N, L, 4)``, channels A, C, G, T, like the one-hot
sequences it explains; a per-position score is ``(N, L)``.

* :func:`gradient_correction` (Majdandzic et al. 2023): subtract each
  position's mean over the four bases, removing the off-simplex component of
  an input gradient.
* :func:`position_scores`: one magnitude per position (the L1 norm over the
  four channels).
* :func:`ground_truth_scores`: per sequence, AUROC and average precision of
  the position scores for telling positions inside planted instances from the
  rest (the mask comes from :func:`analysis.instance_mask`).
* :func:`gini`, :func:`entropy`: how concentrated each map is.
* :func:`continuous_jaccard`: how much two methods' maps agree.
* :func:`attention_sharpness`: how far a model's attention rows are from
  uniform, the context for attention-aware LRP and attention rollout.
"""
from __future__ import annotations

import numpy as np

from analysis._validate import as_array
from analysis.localisation import localisation_auroc
from simulate.errors import InputError

__all__ = ["attention_sharpness", "continuous_jaccard", "entropy", "gini", "gradient_correction",
           "ground_truth_scores", "position_scores", "rank_positions"]


def _maps(attributions, name="attributions") -> np.ndarray:
    maps = as_array(attributions, name, (3,)).astype(np.float64)
    if maps.shape[2] != 4:
        raise InputError(f"{name} must be (N, L, 4), channels A, C, G, T; got {maps.shape}")
    return maps


def gradient_correction(gradients) -> np.ndarray:
    """Input gradients with each position's mean over the four bases removed.

    Parameters
    ----------
    gradients : array_like, shape (N, L, 4)

    Returns
    -------
    numpy.ndarray, float64, shape (N, L, 4)
        Each position's four values sum to 0. A one-hot input lives on the
        simplex, so the gradient's component along (1, 1, 1, 1) describes
        changes no sequence can make (Majdandzic et al. 2023).
    """
    maps = _maps(gradients, "gradients")
    return maps - maps.mean(axis=2, keepdims=True)


def position_scores(attributions) -> np.ndarray:
    """One magnitude per position: the L1 norm over the four channels.

    Parameters
    ----------
    attributions : array_like, shape (N, L, 4)

    Returns
    -------
    numpy.ndarray, float64, shape (N, L)
        For gradient x input (non-zero at the observed base only) this is the
        absolute attribution of the base; for a raw gradient or mutagenesis
        map it sums the four bases' magnitudes.
    """
    return np.abs(_maps(attributions)).sum(axis=2)


def rank_positions(scores, descending: bool = True, random_state=0) -> np.ndarray:
    """Positions of each row in order of score, equal scores in random order (never left first).

    Parameters
    ----------
    scores : array_like, shape (N, L)
    descending : bool
        Highest first (default) or lowest first.
    random_state : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray, int, shape (N, L)
        ``ranked[n, 0]`` is the most (or least) important position of row n.
    """
    scores = as_array(scores, "scores", (2,)).astype(np.float64)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    permutation = np.argsort(rng.random(scores.shape), axis=1)
    permuted = np.take_along_axis(scores, permutation, axis=1)
    order = np.argsort(-permuted if descending else permuted, axis=1, kind="stable")
    return np.take_along_axis(permutation, order, axis=1)


def _per_row_average_precision(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average precision of each row's scores for its mask (scikit-learn's step definition, ties
    grouped at their threshold); NaN for a row without positives."""
    order = np.argsort(-scores, axis=1, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=1)
    hits = np.take_along_axis(mask, order, axis=1).astype(np.float64)
    true_positives = np.cumsum(hits, axis=1)
    ranks = np.arange(1, scores.shape[1] + 1)[None, :]
    # at a tie, precision is taken at the last position sharing that score (one threshold)
    last_of_tie = np.ones_like(hits, dtype=bool)
    last_of_tie[:, :-1] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
    precision = true_positives / ranks
    # recall increases only at tie ends; each threshold contributes precision x (recall step)
    tp_at_end = np.where(last_of_tie, true_positives, np.nan)
    previous = np.full(scores.shape[0], 0.0)
    positives = hits.sum(axis=1)
    ap = np.zeros(scores.shape[0])
    for j in range(scores.shape[1]):  # columns (L ~ 200), not sequences or pairs
        ends = last_of_tie[:, j]
        gain = np.where(ends, tp_at_end[:, j] - previous, 0.0)
        ap += np.where(ends, precision[:, j] * gain, 0.0)
        previous = np.where(ends, tp_at_end[:, j], previous)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = ap / positives
    ap[positives == 0] = np.nan
    return ap


def ground_truth_scores(scores, mask) -> dict:
    """Per sequence, how well position scores pick out the planted instances.

    Parameters
    ----------
    scores : array_like, shape (N, L)
        Position scores (:func:`position_scores`), higher = more important.
    mask : array_like, bool, shape (N, L)
        True inside the planted instances that count (:func:`analysis.instance_mask`).

    Returns
    -------
    dict
        ``auroc`` and ``aupr`` (average precision), each float64 (N,), NaN for
        a sequence with no positions inside (or none outside) instances.
    """
    scores = as_array(scores, "scores", (2,)).astype(np.float64)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != scores.shape:
        raise InputError(f"scores {scores.shape} and mask {mask.shape} differ in shape")
    auroc = localisation_auroc(scores, mask)
    aupr = _per_row_average_precision(scores, mask)
    aupr[np.isnan(auroc)] = np.nan
    return {"auroc": auroc, "aupr": aupr}


def _flat_magnitudes(maps, name) -> np.ndarray:
    values = np.abs(as_array(maps, name, (2, 3)).astype(np.float64))
    return values.reshape(len(values), -1)


def gini(maps) -> np.ndarray:
    """Gini index of each map's absolute values (0: all equal; (n - 1) / n: one non-zero value).

    Parameters
    ----------
    maps : array_like, shape (N, L) or (N, L, 4)

    Returns
    -------
    numpy.ndarray, float64, shape (N,)
        NaN for an all-zero map.
    """
    values = np.sort(_flat_magnitudes(maps, "maps"), axis=1)
    n = values.shape[1]
    weights = 2 * np.arange(1, n + 1) - n - 1
    total = values.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (values * weights).sum(axis=1) / (n * total)


def entropy(maps) -> np.ndarray:
    """Shannon entropy of each map's absolute values as a distribution, divided by its maximum.

    Parameters
    ----------
    maps : array_like, shape (N, L) or (N, L, 4)

    Returns
    -------
    numpy.ndarray, float64, shape (N,)
        1: all values equal; 0: one non-zero value; NaN for an all-zero map.
    """
    values = _flat_magnitudes(maps, "maps")
    total = values.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = values / total
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    h = terms.sum(axis=1) / np.log(values.shape[1])
    h[total[:, 0] == 0] = np.nan
    return h


def attention_sharpness(attention) -> dict:
    """How concentrated attention weights are: normalised row entropy and the largest weight per row.

    Parameters
    ----------
    attention : array_like, shape (N, heads, L', L')
        Softmax attention weights (each row over the last axis sums to 1), e.g. from
        :meth:`architectures.discover.CanProbe.features_and_attention`.

    Returns
    -------
    dict
        ``positions`` (L'), ``normalised_entropy`` (mean over rows of the entropy divided by
        log L': 1 for uniform rows, 0 for one-hot rows), ``max_weight`` (mean over rows of the
        largest weight) and ``uniform_weight`` (1 / L', what ``max_weight`` is for uniform rows).
    """
    attention = as_array(attention, "attention", ndim=4)
    n_keys = attention.shape[-1]
    if n_keys < 2:
        raise InputError(f"attention needs at least 2 key positions, got {n_keys}")
    rows = attention.reshape(-1, n_keys)
    return {"positions": int(n_keys), "normalised_entropy": float(np.nanmean(entropy(rows))),
            "max_weight": float(np.abs(rows).max(axis=1).mean()), "uniform_weight": 1.0 / n_keys}


def continuous_jaccard(a, b) -> np.ndarray:
    """Agreement of two methods' maps: sum of min(|a|, |b|) over sum of max(|a|, |b|), per map.

    Parameters
    ----------
    a, b : array_like, same shape, (N, L) or (N, L, 4)

    Returns
    -------
    numpy.ndarray, float64, shape (N,)
        1 for identical magnitudes, 0 for disjoint supports; NaN when both are all zero.
        Magnitudes are compared as they are: scale each method's maps first if their units differ.
    """
    x, y = _flat_magnitudes(a, "a"), _flat_magnitudes(b, "b")
    if x.shape != y.shape:
        raise InputError(f"maps of shapes {np.shape(a)} and {np.shape(b)} cannot be compared")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.minimum(x, y).sum(axis=1) / np.maximum(x, y).sum(axis=1)
