"""Position pairs from attention maps: attended pairs, uniform random pairs, head aggregation.

A *position pair* ``(seq, i, j)`` names query position ``i`` (row of the
attention map) and key position ``j`` (column) of sequence ``seq``. Pair sets
are tuples of three equal-length int64 arrays.

All functions work on a chunk of sequences: ``seq_offset`` is added to the
returned sequence indices, so a caller that streams over ``attention[a:b]``
passes ``seq_offset=a`` to get global indices (the default 0 gives indices
local to the chunk).
"""
from __future__ import annotations

import numba
import numpy as np

from analysis._validate import (as_array, check_finite, check_float, check_int, check_random_state,
                                check_shape_like)
from simulate.errors import InputError

__all__ = ["aggregate_heads", "attended_pairs", "attention_histogram", "random_pairs"]


def _check_attention(attention, name: str = "attention") -> np.ndarray:
    attention = as_array(attention, name, 3)
    if attention.shape[1] != attention.shape[2]:
        raise InputError(f"{name} must have shape (N, L, L), got {attention.shape}")
    check_finite(attention, name)
    return attention


def aggregate_heads(scores, how: str = "max") -> np.ndarray:
    """Combine per-head attention maps into one map per sequence.

    Parameters
    ----------
    scores : array_like, shape (N, H, L, L)
        Attention weights per head (query rows, key columns).
    how : {"max", "mean"}
        Elementwise maximum or mean over the H heads.

    Returns
    -------
    numpy.ndarray, shape (N, L, L), float
        Aggregated map with the diagonal (self-attention) set to 0.
    """
    scores = as_array(scores, "scores", 4)
    if scores.shape[2] != scores.shape[3]:
        raise InputError(f"scores must have shape (N, H, L, L), got {scores.shape}")
    if scores.shape[1] == 0:
        raise InputError("scores has no heads (H = 0)")
    check_finite(scores, "scores")
    if how == "max":
        out = scores.max(axis=1)
    elif how == "mean":
        out = scores.mean(axis=1)
    else:
        raise InputError(f"how must be 'max' or 'mean', got {how!r}")
    out = np.array(out, dtype=np.result_type(out.dtype, np.float32), copy=True)
    L = out.shape[1]
    out[:, np.arange(L), np.arange(L)] = 0
    return out


def check_maps_and_attention(feature_maps, attention):
    """``(feature_maps, attention, (N, L, F))`` after checking that attention is (N, L, L) for
    feature maps (N, L, F); reads no data (h5py datasets and memmaps stay on disk)."""
    fm, (n, length, n_filters) = check_shape_like(feature_maps, "feature_maps", 3)
    att, att_shape = check_shape_like(attention, "attention", 3)
    if att_shape != (n, length, length):
        raise InputError(f"attention must have shape {(n, length, length)} to match feature_maps, got {att_shape}")
    return fm, att, (n, length, n_filters)


def chunks(feature_maps, attention, chunk_size: int, dtype=None):
    """Yield ``(start, stop, features, attention)`` for consecutive chunks of sequences, read into
    memory and checked for NaN or infinite values (the streaming loop of GLIFAC and local attention)."""
    for start in range(0, feature_maps.shape[0], chunk_size):
        stop = min(feature_maps.shape[0], start + chunk_size)
        x = np.asarray(feature_maps[start:stop], dtype=dtype)
        a = np.asarray(attention[start:stop])
        check_finite(x, "feature_maps")
        check_finite(a, "attention")
        yield start, stop, x, a


def attended_mask(attention: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean (N, L, L) mask of attended position pairs: ``attention >= threshold``, diagonal excluded.

    The one definition of "attended" shared by pairs, GLIFAC and local attention;
    no validation (callers validate once per array).
    """
    mask = attention >= threshold
    diagonal = np.arange(mask.shape[1])
    mask[:, diagonal, diagonal] = False
    return mask


def attention_histogram(attention, bins: int = 100, chunk_size: int = 1000) -> np.ndarray:
    """Counts of the off-diagonal attention values in ``bins`` equal bins over [0, 1].

    Parameters
    ----------
    attention : array_like, shape (N, L, L)
        Head-aggregated attention (read chunk by chunk).
    bins : int
    chunk_size : int

    Returns
    -------
    numpy.ndarray, shape (bins,), int64
        Values of exactly 1 fall in the last bin; the counts sum to N·L·(L-1).
    """
    att, shape = check_shape_like(attention, "attention", 3)
    if shape[1] != shape[2]:
        raise InputError(f"attention must have shape (N, L, L), got {shape}")
    bins = check_int(bins, "bins", minimum=1)
    off_diagonal = ~np.eye(shape[1], dtype=bool)
    counts = np.zeros(bins, dtype=np.int64)
    for start in range(0, shape[0], chunk_size):
        values = np.asarray(att[start:start + chunk_size])[:, off_diagonal]
        check_finite(values, "attention")
        index = np.clip((values * bins).astype(np.int64), 0, bins - 1)
        counts += np.bincount(index.ravel(), minlength=bins)
    return counts


def attended_pairs(attention, threshold: float, seq_offset: int = 0):
    """Position pairs whose attention is at least ``threshold``.

    Parameters
    ----------
    attention : array_like, shape (N, L, L)
        Head-aggregated attention, query rows ``i``, key columns ``j``.
    threshold : float
        Pairs with ``attention[s, i, j] >= threshold`` and ``i != j`` are
        returned; the diagonal is always ignored, whatever its values.
    seq_offset : int, default 0
        Added to the returned sequence indices (for chunked callers).

    Returns
    -------
    (seq, i, j) : tuple of three int64 arrays, shape (P,)
        In row-major order of ``attention`` (by sequence, then query, then key).
    """
    attention = _check_attention(attention)
    threshold = check_float(threshold, "threshold")
    seq_offset = check_int(seq_offset, "seq_offset", minimum=0)
    mask = attended_mask(attention, threshold)
    seq, i, j = (a.astype(np.int64, copy=False) for a in np.nonzero(mask))
    if seq_offset:
        seq = seq + seq_offset
    return seq, i, j


def random_pairs(n_pairs: int, n_seqs: int, length: int, random_state=None, seq_offset: int = 0):
    """Uniformly random position pairs with ``i != j``.

    Each pair is drawn independently and uniformly from the
    ``n_seqs * length * (length - 1)`` ordered pairs of distinct positions
    (so a pair can be drawn more than once).

    Parameters
    ----------
    n_pairs : int
        Exact number of pairs to draw (``>= 0``).
    n_seqs, length : int
        Number of sequences and positions per sequence (``length >= 2`` when
        ``n_pairs > 0``).
    random_state : None, int or numpy.random.RandomState
    seq_offset : int, default 0
        Added to the returned sequence indices.

    Returns
    -------
    (seq, i, j) : tuple of three int64 arrays, shape (n_pairs,)
    """
    n_pairs = check_int(n_pairs, "n_pairs", minimum=0)
    n_seqs = check_int(n_seqs, "n_seqs", minimum=0)
    length = check_int(length, "length", minimum=0)
    seq_offset = check_int(seq_offset, "seq_offset", minimum=0)
    rs = check_random_state(random_state)
    flat = _draw_flat(rs, n_pairs, n_seqs, length)
    seq, i, j = _decode_flat(flat, length)
    if seq_offset:
        seq = seq + seq_offset
    return seq, i, j


def _draw_flat(rs, n_pairs: int, n_seqs: int, length: int) -> np.ndarray:
    """``n_pairs`` uniform indices into the ``n_seqs * length * (length - 1)`` distinct-position pairs."""
    if n_pairs == 0:
        return np.zeros(0, dtype=np.int64)
    n_cells = n_seqs * length * (length - 1)
    if n_cells == 0:
        raise InputError(
            f"cannot draw {n_pairs} pairs of distinct positions from {n_seqs} sequences of length {length}")
    return rs.randint(0, n_cells, size=n_pairs, dtype=np.int64)


def _decode_flat(flat: np.ndarray, length: int):
    """Flat index over (seq, i, j') with j' < length - 1 -> (seq, i, j) with j != i."""
    if flat.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), z.copy()
    per_seq = length * (length - 1)
    seq, rem = np.divmod(flat, per_seq)
    i, j = np.divmod(rem, length - 1)
    j = j + (j >= i)
    return seq, i, j


@numba.njit(cache=True)
def _flat_to_dense_kernel(flat, length, out):
    m = length - 1
    for k in range(flat.size):
        row = flat[k] // m            # seq * length + i
        jp = flat[k] - row * m        # j' < length - 1
        i = row % length
        out[k] = row * length + jp + (1 if jp >= i else 0)


def _flat_to_dense_index(flat: np.ndarray, length: int) -> np.ndarray:
    """Flat distinct-pair index -> flat index into an (n, length, length) array (same as via _decode_flat)."""
    out = np.empty(flat.size, dtype=np.int64)
    if flat.size:
        _flat_to_dense_kernel(flat, length, out)
    return out
