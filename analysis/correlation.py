"""GLIFAC: global interactions via filter activity correlations.

For a set of position pairs ``(seq, i, j)`` (query ``i``, key ``j``) the GLIFAC
map holds, for every filter pair ``(f, g)``, the Pearson correlation between
filter ``f``'s activation at the query positions and filter ``g``'s activation
at the key positions, taken over all pairs. At an attention threshold ``t``
the pairs are the attended pairs (attention >= t, i != j) plus as many
uniformly random pairs of distinct positions; the final map is symmetrized
by keeping, for each (f, g), the entry of larger magnitude of C and Cᵀ.

Everything is computed from sufficient statistics accumulated in float64
(:class:`CorrelationAccumulator`), batch by batch, with exact per-batch
centering and Chan et al.'s pairwise merge, so memory is O(batch × F + F²)
whatever the number of pairs and no cap on pairs is needed.

The streaming functions (:func:`glifac_maps`, :func:`glifac_map`) never list
the pairs: for a chunk of sequences, the pair multiset is a count matrix
``W`` of shape (n, L, L) (attended mask plus random-pair counts), and every
statistic is a weighted sum, e.g. the cross term is ``Σ_s Dq_sᵀ W_s Dk_s``.
This makes threshold 0 on 20,000 × 50 × 50 maps (49 M attended pairs) cheap.

Constant columns: a filter whose activation is constant over the query (or
key) side of the pairs has no defined correlation; its row (column) is
``fill_value``, 0 by default (as the authors' ``np.nan_to_num``). With no
pairs at all, the whole map is ``fill_value``.

Threads: the loops run BLAS single-threaded (threadpoolctl). Their products
are small or skinny and gain little from threads, while multi-threaded
OpenBLAS stalls badly (10-30x) on a machine whose cores are busy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from analysis._validate import (as_array, check_finite, check_float, check_int, check_pairs,
                                check_random_state, check_thresholds)
from analysis.pairs import _draw_flat, _flat_to_dense_index, attended_mask, check_maps_and_attention, chunks
from simulate.errors import InputError

__all__ = [
    "CorrelationAccumulator",
    "GlifacMap",
    "GlifacMaps",
    "correlation_map",
    "glifac_map",
    "glifac_maps",
    "symmetrize",
]


class CorrelationAccumulator:
    """Streaming Pearson correlations between query-side and key-side features.

    Keeps, in float64, the pair count (total weight) ``n``, the means, the
    centered sums of squares and the centered cross-product matrix, merged
    batch by batch with Chan et al.'s parallel update. Memory is O(Fq × Fk).

    Parameters
    ----------
    n_features : int
        Number of query-side features ``Fq``.
    n_key_features : int, optional
        Number of key-side features ``Fk`` (default ``n_features``).

    Attributes
    ----------
    n : float
        Number of pairs seen (total weight for :meth:`update_weighted`).
    """

    def __init__(self, n_features: int, n_key_features: int | None = None):
        fq = check_int(n_features, "n_features", minimum=1)
        fk = fq if n_key_features is None else check_int(n_key_features, "n_key_features", minimum=1)
        self.n_features = fq
        self.n_key_features = fk
        self.n = 0.0
        self.mean_q = np.zeros(fq)
        self.mean_k = np.zeros(fk)
        self.m2_q = np.zeros(fq)
        self.m2_k = np.zeros(fk)
        self.cross = np.zeros((fq, fk))
        self.min_q = np.full(fq, np.inf)
        self.max_q = np.full(fq, -np.inf)
        self.min_k = np.full(fk, np.inf)
        self.max_k = np.full(fk, -np.inf)

    # -- updates ---------------------------------------------------------------------------
    def update(self, query_feats, key_feats) -> "CorrelationAccumulator":
        """Add a batch of pairs.

        Parameters
        ----------
        query_feats : array_like, shape (P, Fq)
            Features at the query position of each pair.
        key_feats : array_like, shape (P, Fk)
            Features at the key position of the same pairs.
        """
        q = as_array(query_feats, "query_feats", 2)
        k = as_array(key_feats, "key_feats", 2)
        if q.shape[1] != self.n_features or k.shape[1] != self.n_key_features:
            raise InputError(
                f"expected query/key features with {self.n_features}/{self.n_key_features} columns, "
                f"got {q.shape[1]}/{k.shape[1]}")
        if q.shape[0] != k.shape[0]:
            raise InputError(f"query_feats and key_feats differ in pairs ({q.shape[0]} vs {k.shape[0]})")
        check_finite(q, "query_feats")
        check_finite(k, "key_feats")
        if q.dtype.kind not in "f":
            q = q.astype(np.float64)
        if k.dtype.kind not in "f":
            k = k.astype(np.float64)
        return self._update_pairs(q, k)

    def _update_pairs(self, q: np.ndarray, k: np.ndarray) -> "CorrelationAccumulator":
        """:meth:`update` without validation; q, k any real dtype (centered in float64)."""
        if q.shape[0] == 0:
            return self
        mq = q.mean(axis=0, dtype=np.float64)
        mk = k.mean(axis=0, dtype=np.float64)
        dq = q - mq          # float64 by promotion: cast and exact centering in one pass
        dk = k - mk
        self._merge(float(q.shape[0]), mq, mk, np.einsum("pf,pf->f", dq, dq), np.einsum("pf,pf->f", dk, dk),
                    dq.T @ dk, q.min(axis=0), q.max(axis=0), k.min(axis=0), k.max(axis=0))
        return self

    def update_weighted(self, features, weights) -> "CorrelationAccumulator":
        """Add every position pair of a chunk of sequences, with pair weights.

        Equivalent to calling :meth:`update` with pair ``(s, i, j)`` repeated
        ``weights[s, i, j]`` times (for integer weights), without listing pairs.

        Parameters
        ----------
        features : array_like, shape (n, L, F)
            Feature maps of the chunk (query and key sides use the same map,
            so ``Fq == Fk == F`` is required).
        weights : array_like, shape (n, L, L)
            Non-negative pair weights (counts): query position on axis 1, key on axis 2.
        """
        if self.n_features != self.n_key_features:
            raise InputError("update_weighted needs n_features == n_key_features")
        x = as_array(features, "features", 3)
        w = as_array(weights, "weights", 3)
        n, L, F = x.shape
        if F != self.n_features:
            raise InputError(f"features has {F} filters, accumulator expects {self.n_features}")
        if w.shape != (n, L, L):
            raise InputError(f"weights must have shape {(n, L, L)}, got {w.shape}")
        check_finite(x, "features")
        check_finite(w, "weights")
        if w.size and w.min() < 0:
            raise InputError("weights must be non-negative")
        return self._update_weighted(x.astype(np.float64, copy=False), w.astype(np.float64, copy=False))

    def _update_weighted(self, x: np.ndarray, w: np.ndarray) -> "CorrelationAccumulator":
        """:meth:`update_weighted` without validation; x (n, L, F) and w (n, L, L) float64."""
        n, L, F = x.shape
        row = w.sum(axis=2).reshape(-1)   # times each position is a query
        col = w.sum(axis=1).reshape(-1)   # times each position is a key
        nb = float(row.sum())
        if nb == 0:
            return self
        x2 = x.reshape(-1, F)
        mq = (row @ x2) / nb
        mk = (col @ x2) / nb
        dq = x2 - mq
        dk = x2 - mk
        m2q = row @ (dq * dq)
        m2k = col @ (dk * dk)
        wdk = np.matmul(w, dk.reshape(n, L, F)).reshape(-1, F)
        cross = dq.T @ wdk
        used_q = x2[row > 0]
        used_k = x2[col > 0]
        self._merge(nb, mq, mk, m2q, m2k, cross, used_q.min(axis=0), used_q.max(axis=0),
                    used_k.min(axis=0), used_k.max(axis=0))
        return self

    def merge(self, other: "CorrelationAccumulator") -> "CorrelationAccumulator":
        """Fold another accumulator's pairs into this one (in place); returns self."""
        if not isinstance(other, CorrelationAccumulator):
            raise InputError("merge expects a CorrelationAccumulator")
        if (other.n_features, other.n_key_features) != (self.n_features, self.n_key_features):
            raise InputError("cannot merge accumulators with different numbers of features")
        if other.n > 0:
            self._merge(other.n, other.mean_q, other.mean_k, other.m2_q, other.m2_k, other.cross,
                        other.min_q, other.max_q, other.min_k, other.max_k)
        return self

    def _merge(self, nb, mq, mk, m2q, m2k, cross, min_q, max_q, min_k, max_k):
        na = self.n
        n = na + nb
        dq = mq - self.mean_q
        dk = mk - self.mean_k
        f = na * nb / n
        self.mean_q = self.mean_q + dq * (nb / n)
        self.mean_k = self.mean_k + dk * (nb / n)
        self.m2_q = self.m2_q + m2q + dq * dq * f
        self.m2_k = self.m2_k + m2k + dk * dk * f
        self.cross = self.cross + cross + np.outer(dq, dk) * f
        self.n = n
        np.minimum(self.min_q, min_q, out=self.min_q)
        np.maximum(self.max_q, max_q, out=self.max_q)
        np.minimum(self.min_k, min_k, out=self.min_k)
        np.maximum(self.max_k, max_k, out=self.max_k)

    # -- result ----------------------------------------------------------------------------
    def result(self, fill_value: float = 0.0) -> np.ndarray:
        """Pearson correlation matrix, shape (Fq, Fk).

        Entry [f, g] is r(query feature f, key feature g) over all pairs
        seen. Entries involving a feature that is constant over the pairs
        (or every entry when no pair was seen) are ``fill_value`` (0 by
        default; pass ``np.nan`` to mark them instead).
        """
        fill_value = float(fill_value)
        varying_q = self.max_q > self.min_q
        varying_k = self.max_k > self.min_k
        denom = np.sqrt(np.outer(self.m2_q, self.m2_k))
        ok = np.outer(varying_q, varying_k) & (denom > 0)
        out = np.full((self.n_features, self.n_key_features), fill_value)
        out[ok] = np.clip(self.cross[ok] / denom[ok], -1.0, 1.0)
        return out


def correlation_map(feature_maps, pairs, batch_size: int = 65536, fill_value: float = 0.0) -> np.ndarray:
    """Pearson correlations of filter activations between the two ends of position pairs.

    Parameters
    ----------
    feature_maps : array_like, shape (N, L, F)
        Filter activations (e.g. the pooled convolutional layer), channels last.
    pairs : tuple (seq, i, j) of three int arrays, shape (P,)
        Position pairs: sequence, query position, key position.
    batch_size : int, default 65536
        Pairs gathered per batch (memory is O(batch_size × F)).
    fill_value : float, default 0.0
        Value for entries of filters constant over the pairs (see
        :meth:`CorrelationAccumulator.result`).

    Returns
    -------
    numpy.ndarray, shape (F, F), float64
        Entry [f, g] is Pearson's r between ``feature_maps[seq, i, f]`` and
        ``feature_maps[seq, j, g]`` over the pairs (not symmetrized).
    """
    fm = as_array(feature_maps, "feature_maps", 3)
    check_finite(fm, "feature_maps")
    seq, i, j = check_pairs(pairs, "pairs", n_seqs=fm.shape[0], length=fm.shape[1])
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    N, L, F = fm.shape
    if fm.dtype.kind != "f":
        fm = fm.astype(np.float64)
    flat = fm.reshape(N * L, F)
    acc = CorrelationAccumulator(F)
    with threadpool_limits(limits=1, user_api="blas"):   # see module docstring
        for start in range(0, seq.size, batch_size):
            s = seq[start:start + batch_size] * L
            acc._update_pairs(np.take(flat, s + i[start:start + batch_size], axis=0),
                              np.take(flat, s + j[start:start + batch_size], axis=0))
    return acc.result(fill_value)


def symmetrize(C) -> np.ndarray:
    """Keep, for each (f, g), whichever of C[f, g] and C[g, f] has the larger magnitude.

    Ties in magnitude with opposite signs keep the positive value (as the
    authors' ``absmaxND``). NaN entries lose to any number (NaN only where
    both are NaN). The diagonal (a filter with itself) is set to 0.

    Parameters
    ----------
    C : array_like, shape (F, F)

    Returns
    -------
    numpy.ndarray, shape (F, F), float64, symmetric with zero diagonal.
    """
    C = as_array(C, "C", 2).astype(np.float64)
    if C.shape[0] != C.shape[1]:
        raise InputError(f"C must be square, got shape {C.shape}")
    T = C.T
    mag_c = np.where(np.isnan(C), -1.0, np.abs(C))
    mag_t = np.where(np.isnan(T), -1.0, np.abs(T))
    take_c = (mag_c > mag_t) | ((mag_c == mag_t) & (C >= T))
    out = np.where(take_c, C, T)
    np.fill_diagonal(out, 0.0)
    return out


@dataclass(frozen=True)
class GlifacMaps:
    """GLIFAC maps for several attention thresholds.

    Attributes
    ----------
    thresholds : numpy.ndarray, shape (T,)
    maps : numpy.ndarray, shape (T, F, F)
        Symmetrized maps (:func:`symmetrize`), zero diagonal.
    raw : numpy.ndarray, shape (T, F, F)
        Unsymmetrized maps: [t, f, g] = r(filter f at query, filter g at key).
    n_attended, n_random : numpy.ndarray, shape (T,), int64
        Pairs used per threshold (equal by construction).
    """

    thresholds: np.ndarray
    maps: np.ndarray
    raw: np.ndarray
    n_attended: np.ndarray
    n_random: np.ndarray

    def __getitem__(self, t: int) -> "GlifacMap":
        return GlifacMap(float(self.thresholds[t]), self.maps[t], self.raw[t],
                         int(self.n_attended[t]), int(self.n_random[t]))


@dataclass(frozen=True)
class GlifacMap:
    """GLIFAC map at one threshold (fields as in :class:`GlifacMaps`, without the T axis)."""

    threshold: float
    map: np.ndarray
    raw: np.ndarray
    n_attended: int
    n_random: int


def glifac_maps(feature_maps, attention, thresholds, random_state=None, chunk_size: int = 1000,
                fill_value: float = 0.0, attended: bool = True) -> GlifacMaps:
    """GLIFAC maps for many attention thresholds in one pass over the data.

    For every threshold ``t`` the pairs are all ``(s, i, j)`` with
    ``attention[s, i, j] >= t`` and ``i != j`` plus an equal number of
    uniformly random pairs of distinct positions. Random pairs are
    *stratified-uniform*: within each chunk of ``chunk_size`` sequences, as
    many random pairs as that chunk has attended pairs are drawn uniformly
    (with replacement) from the chunk's ``n·L·(L-1)`` distinct-position pairs.
    Chunk ``c`` draws from ``RandomState(seeds[c])`` with
    ``seeds = check_random_state(random_state).randint(2**31 - 1, size=n_chunks)``;
    for each threshold it uses the first ``n_attended(t, c)`` pairs of
    ``random_pairs(max_t n_attended(t, c), n, L, RandomState(seeds[c]))``, so
    a call with several thresholds equals separate calls with one each.
    Results depend on ``chunk_size`` only through the random pairs.

    ``attended=False`` gives the attention-free control: at each threshold
    (and in each chunk) the attended pairs are replaced by as many more random
    pairs, so the map rests on the same number of pairs, all random (the
    first ``2 n_attended(t, c)`` of the same stream). Attention then only sets
    how many pairs there are; what the map shows comes from which filters are
    active together in the same sequences.

    Parameters
    ----------
    feature_maps : array_like, shape (N, L, F)
        Filter activations at the attention layer's resolution (read chunk
        by chunk, so an h5py dataset or memmap works).
    attention : array_like, shape (N, L, L)
        Head-aggregated attention (:func:`analysis.aggregate_heads`), query
        rows, key columns; the diagonal is ignored.
    thresholds : sequence of float, length T
    random_state : None, int or numpy.random.RandomState
    chunk_size : int, default 1000
        Sequences per chunk; memory is O(chunk_size × L × (L + F) + F²).
    fill_value : float, default 0.0
        For filters constant over the pairs and thresholds with no pairs.
    attended : bool, default True
        False: the attention-free control described above (``n_random`` is
        then twice ``n_attended``).

    Returns
    -------
    GlifacMaps
    """
    fm, att, (N, L, F) = check_maps_and_attention(feature_maps, attention)
    if F == 0:
        raise InputError("feature_maps has no filters (F = 0)")
    thr = check_thresholds(thresholds)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    fill_value = float(fill_value)
    rs = check_random_state(random_state)
    n_chunks = -(-N // chunk_size)
    seeds = rs.randint(2**31 - 1, size=n_chunks)
    accs = [CorrelationAccumulator(F) for _ in thr]
    n_att = np.zeros(thr.size, dtype=np.int64)
    with threadpool_limits(limits=1, user_api="blas"):   # see module docstring
        for c, (a, b, x, A) in enumerate(chunks(fm, att, chunk_size, dtype=np.float64)):
            masks = []
            for t in thr:
                m = attended_mask(A, t)
                masks.append(m)
            counts = np.array([m.sum() for m in masks], dtype=np.int64)
            n_att += counts
            per_pair = 1 if attended else 2  # random pairs drawn per attended pair
            flat = _draw_flat(np.random.RandomState(seeds[c]), per_pair * int(counts.max()), b - a, L)
            dense = _flat_to_dense_index(flat, L)
            for k, m in enumerate(masks):
                if counts[k] == 0:
                    continue
                w = m.astype(np.float64) if attended else np.zeros(m.shape)
                w += np.bincount(dense[:per_pair * counts[k]], minlength=w.size).reshape(w.shape)
                accs[k]._update_weighted(x, w)
    raw = np.stack([acc.result(fill_value) for acc in accs])
    maps = np.stack([symmetrize(r) for r in raw])
    return GlifacMaps(thresholds=thr, maps=maps, raw=raw, n_attended=n_att,
                      n_random=n_att.copy() if attended else 2 * n_att)


def glifac_map(feature_maps, attention, threshold: float, random_state=None, chunk_size: int = 1000,
               fill_value: float = 0.0) -> GlifacMap:
    """GLIFAC map at one attention threshold; see :func:`glifac_maps` for the parameters.

    Returns
    -------
    GlifacMap
        ``map`` (F, F) symmetrized, ``raw`` (F, F), ``n_attended``, ``n_random``.
    """
    threshold = check_float(threshold, "threshold")
    return glifac_maps(feature_maps, attention, [threshold], random_state=random_state,
                       chunk_size=chunk_size, fill_value=fill_value)[0]
