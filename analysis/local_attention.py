"""Local attention (SATORI-style) filter-interaction counts.

At an attention threshold ``t`` every position pair ``(s, i, j)`` with
``attention[s, i, j] >= t`` and ``i != j`` is attended. A filter is *active*
at a position when its activation exceeds ``fraction`` (default 50%) of its
maximum activation over the whole data set. Every combination of a filter
``f`` active at the query position ``i`` and a filter ``g`` active at the key
position ``j`` of an attended pair is one interaction instance, so the count
map is::

    M[f, g] = Σ_pairs A[s, i, f] · A[s, j, g] = A_qᵀ A_k

with ``A`` the binary activity array. It is computed as a matrix product
(per chunk of pairs, or per chunk of sequences as ``Σ_s A_sᵀ Mask_s A_s``),
never as a pairs × F × F array. Mapping instances to motif pairs through
filter labels, TPR and PPV are in :func:`analysis.scoring.local_attention_scores`.

Threads: the loops run BLAS single-threaded (threadpoolctl): the products are
small and multi-threaded OpenBLAS stalls badly on a machine whose cores are busy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from analysis._validate import (as_array, check_finite, check_float, check_int, check_pairs,
                                check_thresholds)
from analysis.filters import max_activations as _dataset_max  # the parameters below are named max_activations
from analysis.pairs import attended_mask, check_maps_and_attention, chunks
from simulate.errors import InputError

__all__ = [
    "LocalAttentionMap",
    "LocalAttentionMaps",
    "active_filters",
    "interaction_counts",
    "local_attention_map",
    "local_attention_maps",
]


def _check_max(max_activations, F: int) -> np.ndarray:
    mx = as_array(max_activations, "max_activations", 1).astype(np.float64)
    if mx.shape[0] != F:
        raise InputError(f"max_activations has {mx.shape[0]} entries for {F} filters")
    check_finite(mx, "max_activations")
    return mx


def active_filters(feature_maps, max_activations=None, fraction: float = 0.5) -> np.ndarray:
    """Binary filter activity: activation strictly above ``fraction`` × the filter's maximum.

    Parameters
    ----------
    feature_maps : array_like, shape (N, L, F)
    max_activations : array_like, shape (F,), optional
        Per-filter maximum over the whole data set; computed from
        ``feature_maps`` when omitted (pass it when ``feature_maps`` is a subset).
    fraction : float, default 0.5

    Returns
    -------
    numpy.ndarray, shape (N, L, F), bool
        A filter whose maximum is <= 0 (dead ReLU filter) is never active.
    """
    fm = as_array(feature_maps, "feature_maps", 3)
    check_finite(fm, "feature_maps")
    fraction = check_float(fraction, "fraction")
    mx = _dataset_max(fm) if max_activations is None else _check_max(max_activations, fm.shape[2])
    return (fm > fraction * mx) & (mx > 0)


def interaction_counts(active, pairs, batch_size: int = 65536) -> np.ndarray:
    """Interaction-instance counts over an explicit list of position pairs.

    Parameters
    ----------
    active : array_like, shape (N, L, F), bool (or 0/1)
        Filter activity (:func:`active_filters`).
    pairs : tuple (seq, i, j) of three int arrays, shape (P,)
        Query position ``i``, key position ``j`` of sequence ``seq``.
    batch_size : int, default 65536
        Pairs per batch; memory is O(batch_size × F + F²).

    Returns
    -------
    numpy.ndarray, shape (F, F), int64
        ``M[f, g]`` = number of pairs with ``f`` active at the query position
        and ``g`` active at the key position.
    """
    act = as_array(active, "active", 3)
    if act.dtype != np.bool_ and not np.isin(act, (0, 1)).all():
        raise InputError("active must be boolean (or hold only 0 and 1)")
    seq, i, j = check_pairs(pairs, "pairs", n_seqs=act.shape[0], length=act.shape[1])
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    F = act.shape[2]
    out = np.zeros((F, F), dtype=np.int64)
    step = min(batch_size, 1 << 24)  # float32 sums are exact below 2**24
    with threadpool_limits(limits=1, user_api="blas"):   # see module docstring
        for start in range(0, seq.size, step):
            sl = slice(start, start + step)
            q = act[seq[sl], i[sl]].astype(np.float32)
            k = act[seq[sl], j[sl]].astype(np.float32)
            out += np.rint(q.T @ k).astype(np.int64)
    return out


@dataclass(frozen=True)
class LocalAttentionMaps:
    """Local-attention count maps for several thresholds.

    Attributes
    ----------
    thresholds : numpy.ndarray, shape (T,)
    counts : numpy.ndarray, shape (T, F, F), int64
        ``counts[t, f, g]``: instances with ``f`` active at the query, ``g`` at the key.
    n_pairs : numpy.ndarray, shape (T,), int64
        Attended position pairs per threshold.
    max_activations : numpy.ndarray, shape (F,)
        The per-filter maxima used for activity.
    """

    thresholds: np.ndarray
    counts: np.ndarray
    n_pairs: np.ndarray
    max_activations: np.ndarray

    def __getitem__(self, t: int) -> "LocalAttentionMap":
        return LocalAttentionMap(float(self.thresholds[t]), self.counts[t], int(self.n_pairs[t]),
                                 self.max_activations)


@dataclass(frozen=True)
class LocalAttentionMap:
    """Local-attention count map at one threshold (fields as :class:`LocalAttentionMaps`)."""

    threshold: float
    counts: np.ndarray
    n_pairs: int
    max_activations: np.ndarray


def local_attention_maps(feature_maps, attention, thresholds, max_activations=None, fraction: float = 0.5,
                         chunk_size: int = 500) -> LocalAttentionMaps:
    """Local-attention count maps for many thresholds in one pass over the data.

    Parameters
    ----------
    feature_maps : array_like, shape (N, L, F)
        Filter activations at the attention layer's resolution (read chunk
        by chunk, so an h5py dataset or memmap works).
    attention : array_like, shape (N, L, L)
        Head-aggregated attention, query rows, key columns; diagonal ignored.
    thresholds : sequence of float, length T
    max_activations : array_like, shape (F,), optional
        Per-filter maxima (default: computed over ``feature_maps``).
    fraction : float, default 0.5
        Activity cut-off as a fraction of the maximum (strictly greater).
    chunk_size : int, default 500
        Sequences per chunk; memory is O(chunk_size × L × (L + F)).

    Returns
    -------
    LocalAttentionMaps
    """
    fm, att, (N, L, F) = check_maps_and_attention(feature_maps, attention)
    thr = check_thresholds(thresholds)
    fraction = check_float(fraction, "fraction")
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    mx = _dataset_max(fm, chunk_size) if max_activations is None else _check_max(max_activations, F)
    cut = fraction * mx
    alive = mx > 0
    counts = np.zeros((thr.size, F, F), dtype=np.int64)
    n_pairs = np.zeros(thr.size, dtype=np.int64)
    with threadpool_limits(limits=1, user_api="blas"):   # see module docstring
        for _, _, x, A in chunks(fm, att, chunk_size):
            act = ((x > cut) & alive).astype(np.float64)   # (n, L, F)
            flat_act = act.reshape(-1, F)
            for k, t in enumerate(thr):
                m = attended_mask(A, t)
                n_pairs[k] += int(m.sum())
                # Σ_s A_sᵀ M_s A_s: integer-valued float64 sums, exact below 2**53
                counts[k] += np.rint(flat_act.T @ np.matmul(m.astype(np.float64), act).reshape(-1, F)
                                     ).astype(np.int64)
    return LocalAttentionMaps(thresholds=thr, counts=counts, n_pairs=n_pairs, max_activations=mx)


def local_attention_map(feature_maps, attention, threshold: float, max_activations=None, fraction: float = 0.5,
                        chunk_size: int = 500) -> LocalAttentionMap:
    """Local-attention count map at one threshold; see :func:`local_attention_maps`."""
    threshold = check_float(threshold, "threshold")
    return local_attention_maps(feature_maps, attention, [threshold], max_activations=max_activations,
                                fraction=fraction, chunk_size=chunk_size)[0]
