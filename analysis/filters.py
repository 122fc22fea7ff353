"""First-layer filter PPMs and their information content.

A first-layer filter is turned into a position probability matrix (PPM) the way
Koo & Eddy (2019) and Ghotra, Lee & Koo (2021) do it: collect the width-W
sequence windows that activate the filter strongly and count their bases.

Alignment convention
--------------------
``activations[n, p, f]`` is the output of a "same"-padded, stride-1 Conv1D at
position ``p``. Its receptive field is the window ``x[n, s:s + W]`` with::

    s = p - (W - 1) // 2

which is ``p - W // 2`` for odd W (p is the centre of the window) and matches
TensorFlow/Keras "same" padding for even W too (Keras pads ``(W - 1) // 2``
zeros on the left and ``W // 2`` on the right).

Windows that run off either end of the sequence (``s < 0`` or ``s + W > L``)
are **skipped**, not padded: padding would mix made-up background into the
counts, and skipping only discards the ``W - 1`` edge positions per sequence
(as in the reference implementation of Koo & Eddy, which also skips them).
``n_sites`` counts only the windows that were used.

Sites
-----
A filter's sites are the positions where its activation is strictly greater
than ``threshold * max_activation[f]``, ``max_activation[f]`` being the
filter's maximum over the whole data set. A filter whose maximum is <= 0
(a dead ReLU filter, say) has no sites. Every site counts once (no weighting
by activation). A filter without sites gets the uniform PPM and
``n_sites == 0``.

PPM
---
``ppm[f, w, a] = (counts[f, w, a] + pseudocount) / (n_sites[f] + 4 * pseudocount)``.
The default pseudocount is 0, as in the papers' code, so the PPM is exactly the
base frequencies of the aligned windows. Matching (``analysis.tomtom``) compares
columns by Euclidean distance and does not need non-zero probabilities, and
:func:`information_content` treats ``0 * log 0`` as 0.

Memory
------
Sequences are processed in chunks of sequences; within a chunk only the
positions where at least one filter fires are gathered, in blocks of at most
``_ROW_BLOCK`` windows, and all filters are counted with one matrix product
per block. Nothing of size (N, L, W, 4) is ever built. For streaming over the
batches of a model use :class:`FilterPPMAccumulator` (two passes: first the
per-filter maxima, then the counts).
"""
from __future__ import annotations

import numpy as np

from analysis._validate import as_array, check_float, check_int, check_shape_like
from simulate.errors import InputError
from simulate.validate import PPM_TOLERANCE, check_one_hot, check_one_hot_shape, check_ppm

__all__ = [
    "FilterPPMAccumulator",
    "filter_ppms",
    "information_content",
    "max_activations",
    "position_information_content",
    "window_start",
]

# Windows (rows) gathered per matrix product. 2**17 rows x 4W float32 columns
# is ~10 MB for W = 19, and keeps float32 sums of 0/1 products exact (< 2**24).
_ROW_BLOCK = 1 << 17
# Sequences read per chunk by filter_ppms / max_activations.
_DEFAULT_CHUNK = 512


def window_start(position, filter_width: int):
    """First base of the receptive field of "same"-padded output ``position``.

    ``start = position - (filter_width - 1) // 2`` (``position - W // 2`` for
    odd W; Keras "same" padding for even W).
    """
    return position - (int(filter_width) - 1) // 2


# --------------------------------------------------------------------------
# validation helpers


def _check_activations(act: np.ndarray, x_shape, n_filters: int | None,
                       name: str = "activations") -> np.ndarray:
    act = as_array(act, name, 3)
    if act.shape[:2] != tuple(x_shape[:2]):
        raise InputError(f"{name} must be (N, L, F) with N, L of x {tuple(x_shape[:2])}, "
                         f"got shape {act.shape}")
    if n_filters is not None and act.shape[2] != n_filters:
        raise InputError(f"{name} has {act.shape[2]} filters but max_activation has {n_filters}")
    if act.dtype.kind == "f" and not np.isfinite(act).all():
        raise InputError(f"{name} contains NaN or infinite values")
    return act


def _check_threshold(threshold) -> float:
    threshold = check_float(threshold, "threshold")
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold must be in [0, 1] (a fraction of each filter's maximum), "
                         f"got {threshold}")
    return threshold


def _check_pseudocount(pseudocount) -> float:
    pseudocount = check_float(pseudocount, "pseudocount")
    if pseudocount < 0:
        raise InputError(f"pseudocount must be >= 0, got {pseudocount}")
    return pseudocount


def _check_background(background) -> np.ndarray:
    if background is None:
        return np.full(4, 0.25)
    bg = as_array(background, "background", 1).astype(np.float64)
    if bg.shape != (4,) or not np.isfinite(bg).all() or (bg <= 0).any() \
            or abs(bg.sum() - 1) > PPM_TOLERANCE:
        raise InputError(f"background must be 4 positive probabilities (A, C, G, T) summing to 1, "
                         f"got {bg.tolist()}")
    return bg / bg.sum()


def _cutoff_for(cutoff: np.ndarray, dtype) -> np.ndarray:
    """``cutoff`` in ``dtype`` such that ``a > result`` iff ``a > cutoff`` (exactly).

    Comparing float32 activations with float32 cutoffs avoids an upcast of
    every activation. Rounding the float64 cutoff down to the largest float32
    not above it keeps the strict comparison exact for float32 values.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return cutoff
    with np.errstate(over="ignore"):
        low = cutoff.astype(dtype)
    above = low.astype(np.float64) > cutoff
    low[above] = np.nextafter(low[above], dtype.type(-np.inf))
    return low


# --------------------------------------------------------------------------
# PPMs


class FilterPPMAccumulator:
    """Streaming base counts of the activating windows of every filter.

    Parameters
    ----------
    max_activation : array_like, shape (F,)
        Each filter's maximum activation over the whole data set (see
        :func:`max_activations`, which streams too).
    filter_width : int
        W, the first-layer filter width.
    threshold : float, default 0.5
        A site is a position with ``activation > threshold * max_activation``.
    pseudocount : float, default 0.0
        Added to every count in :meth:`result`.

    Examples
    --------
    >>> acc = FilterPPMAccumulator(max_act, filter_width=19)      # doctest: +SKIP
    >>> for x_batch, act_batch in batches:                        # doctest: +SKIP
    ...     acc.update(x_batch, act_batch)
    >>> ppms, n_sites = acc.result()                              # doctest: +SKIP
    """

    def __init__(self, max_activation, filter_width: int, threshold: float = 0.5,
                 pseudocount: float = 0.0):
        max_activation = as_array(max_activation, "max_activation", 1).astype(np.float64)
        if max_activation.size == 0:
            raise InputError("max_activation must have one entry per filter, got none")
        if not np.isfinite(max_activation).all():
            raise InputError("max_activation contains NaN or infinite values")
        self.filter_width = check_int(filter_width, "filter_width", minimum=1)
        self.threshold = _check_threshold(threshold)
        self.pseudocount = _check_pseudocount(pseudocount)
        self.max_activation = max_activation
        # Filters whose maximum is <= 0 never fire.
        self._cutoff = np.where(max_activation > 0, self.threshold * max_activation, np.inf)
        F, W = max_activation.size, self.filter_width
        self._counts = np.zeros((F, 4, W), dtype=np.float64)   # (F, A, W): window layout
        self._n_sites = np.zeros(F, dtype=np.int64)

    @property
    def n_filters(self) -> int:
        return int(self.max_activation.size)

    @property
    def counts(self) -> np.ndarray:
        """Base counts so far, shape (F, W, 4) (a copy)."""
        return self._counts.transpose(0, 2, 1).copy()

    @property
    def n_sites(self) -> np.ndarray:
        """Windows counted so far per filter, shape (F,) int64 (a copy)."""
        return self._n_sites.copy()

    def update(self, x_chunk, act_chunk) -> "FilterPPMAccumulator":
        """Add one batch.

        Parameters
        ----------
        x_chunk : array_like, shape (n, L, 4)
            One-hot sequences (A, C, G, T), any numeric dtype.
        act_chunk : array_like, shape (n, L, F)
            First-layer activations of these sequences ("same" padding).

        Returns
        -------
        self
        """
        x = check_one_hot(as_array(x_chunk, "x_chunk", 3), "x_chunk").astype(np.float32, copy=False)
        act = _check_activations(act_chunk, x.shape, self.n_filters, "act_chunk")
        N, L, _ = x.shape
        W = self.filter_width
        n_valid = L - W + 1
        if n_valid <= 0:
            raise InputError(f"sequence length {L} is shorter than filter_width {W}")
        if N == 0:
            return self
        left = (W - 1) // 2
        # Centres whose window lies inside the sequence; window s <-> centre s + left.
        mask = act[:, left:left + n_valid, :] > _cutoff_for(self._cutoff, act.dtype)  # (N, n_valid, F)
        seq_idx, win_idx = np.nonzero(mask.any(axis=2))
        if seq_idx.size == 0:
            return self
        windows = np.lib.stride_tricks.sliding_window_view(x, W, axis=1)   # (N, n_valid, 4, W)
        for b in range(0, seq_idx.size, _ROW_BLOCK):
            si, wi = seq_idx[b:b + _ROW_BLOCK], win_idx[b:b + _ROW_BLOCK]
            m = mask[si, wi]                                             # (R, F)
            self._n_sites += m.sum(axis=0)
            w = windows[si, wi].reshape(si.size, 4 * W)                  # (R, 4W) copy
            self._counts += (m.T.astype(np.float32) @ w).reshape(self.n_filters, 4, W)
        return self

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """PPMs and site counts.

        Returns
        -------
        ppms : numpy.ndarray, shape (F, W, 4), float64
            Rows sum to 1; uniform for filters with no sites.
        n_sites : numpy.ndarray, shape (F,), int64
        """
        counts = self.counts
        pc = self.pseudocount
        total = self._n_sites[:, None, None] + 4 * pc
        with np.errstate(invalid="ignore", divide="ignore"):
            ppms = (counts + pc) / total
        ppms[self._n_sites == 0] = 0.25
        return ppms, self._n_sites.copy()


def max_activations(activations, chunk_size: int = _DEFAULT_CHUNK) -> np.ndarray:
    """Per-filter maximum over all sequences and positions.

    Parameters
    ----------
    activations : array_like, shape (N, L, F)
        NumPy array, memmap or h5py dataset; read ``chunk_size`` sequences at a time.
    chunk_size : int, default 512

    Returns
    -------
    numpy.ndarray, shape (F,), float64
    """
    activations, (N, L, F) = check_shape_like(activations, "activations", 3)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if N == 0 or L == 0 or F == 0:
        raise InputError(f"activations must be non-empty, got shape {(N, L, F)}")
    out = np.full(F, -np.inf)
    for i in range(0, N, chunk_size):
        a = np.asarray(activations[i:i + chunk_size], dtype=np.float64)
        if not np.isfinite(a).all():
            raise InputError("activations contains NaN or infinite values")
        np.maximum(out, a.max(axis=(0, 1)), out=out)
    return out


def filter_ppms(x, activations, filter_width: int, threshold: float = 0.5,
                max_activation=None, pseudocount: float = 0.0,
                chunk_size: int = _DEFAULT_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """PPM of every first-layer filter from its strongly activating windows.

    See the module docstring for the alignment convention (window of output
    position p starts at ``p - (W - 1) // 2``; windows off either end are
    skipped) and the site definition.

    Parameters
    ----------
    x : array_like, shape (N, L, 4)
        One-hot sequences, channels last, A, C, G, T (array, memmap or h5py
        dataset; read ``chunk_size`` sequences at a time).
    activations : array_like, shape (N, L, F)
        First conv layer activations of ``x`` (padding "same", stride 1).
    filter_width : int
        W, the filter width; the PPMs are W wide.
    threshold : float in [0, 1], default 0.5
        Sites are positions with ``activation > threshold * max_activation[f]``.
    max_activation : array_like, shape (F,), optional
        Per-filter maxima; computed from ``activations`` when omitted (pass it
        to use a maximum over a larger data set than ``x``).
    pseudocount : float, default 0.0
        Added to each base count before normalising.
    chunk_size : int, default 512
        Sequences processed at a time (bounds memory).

    Returns
    -------
    ppms : numpy.ndarray, shape (F, W, 4), float64
        Rows A, C, G, T sum to 1; uniform (0.25) for filters without sites.
    n_sites : numpy.ndarray, shape (F,), int64
        Number of windows counted per filter.

    Raises
    ------
    InputError
        Wrong shapes, non-one-hot ``x``, NaN activations, L < W, bad parameters.
    """
    x, x_shape = check_shape_like(x, "x", 3)
    check_one_hot_shape(x, "x")
    activations, a_shape = check_shape_like(activations, "activations", 3)
    if a_shape[:2] != x_shape[:2]:
        raise InputError(f"activations must be (N, L, F) with N, L of x {x_shape[:2]}, "
                         f"got shape {a_shape}")
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if max_activation is None:
        max_activation = max_activations(activations, chunk_size)
    else:
        max_activation = as_array(max_activation, "max_activation", 1)
        if max_activation.shape != (a_shape[2],):
            raise InputError(f"max_activation must have shape ({a_shape[2]},), "
                             f"got {max_activation.shape}")
    acc = FilterPPMAccumulator(max_activation, filter_width, threshold, pseudocount)
    if x_shape[1] < acc.filter_width:
        raise InputError(f"sequence length {x_shape[1]} is shorter than filter_width "
                         f"{acc.filter_width}")
    for i in range(0, x_shape[0], chunk_size):
        acc.update(np.asarray(x[i:i + chunk_size]), np.asarray(activations[i:i + chunk_size]))
    return acc.result()


# --------------------------------------------------------------------------
# information content


def position_information_content(ppm, background=None) -> np.ndarray:
    """Information content of every position, in bits.

    ``IC[w] = sum_a ppm[w, a] * log2(ppm[w, a] / background[a])`` (relative
    entropy to the background; ``0 log 0 = 0``). With the uniform background
    this is ``2 - H(ppm[w])``: 0 for a uniform column, 2 for a one-hot column.

    Parameters
    ----------
    ppm : array_like, shape (W, 4) or (F, W, 4)
        Rows A, C, G, T summing to 1.
    background : array_like, shape (4,), optional
        Base probabilities; uniform (0.25 each) by default.

    Returns
    -------
    numpy.ndarray, shape (W,) or (F, W)
    """
    ppm = check_ppm(ppm, ndim=(2, 3))
    bg = _check_background(background)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ppm > 0, ppm * np.log2(ppm / bg), 0.0)
    return terms.sum(axis=-1)


def information_content(ppm, background=None):
    """Total information content in bits (sum over positions).

    Parameters
    ----------
    ppm : array_like, shape (W, 4) or (F, W, 4)
    background : array_like, shape (4,), optional
        Uniform by default.

    Returns
    -------
    float for a (W, 4) input, numpy.ndarray of shape (F,) for (F, W, 4).
    """
    ic = position_information_content(ppm, background).sum(axis=-1)
    return float(ic) if np.ndim(ic) == 0 else ic
