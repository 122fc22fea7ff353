"""Input validation shared by the ``analysis`` modules.

Every public function in :mod:`analysis` checks its inputs on entry and raises
:class:`simulate.errors.InputError` (a :class:`ValueError`) with one clear line,
so command lines can turn the message into "one line on stderr, exit code 2".
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np

from simulate.errors import InputError


def as_array(x, name: str, ndim: int | tuple[int, ...], *, numeric: bool = True) -> np.ndarray:
    """``np.asarray(x)`` with a check on the number of dimensions (and dtype kind)."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name} could not be read as an array ({exc})") from None
    dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in dims:
        want = " or ".join(str(d) for d in dims)
        raise InputError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if numeric and arr.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold numbers (bool/int/float), got dtype {arr.dtype}")
    return arr


def check_shape_like(x, name: str, ndim: int):
    """Check ``x.shape`` without reading ``x`` (works for h5py datasets and memmaps)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        x = as_array(x, name, ndim)
        shape = x.shape
    if len(shape) != ndim:
        raise InputError(f"{name} must be {ndim}-dimensional, got shape {tuple(shape)}")
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind not in "biuf":
        raise InputError(f"{name} must hold numbers (bool/int/float), got dtype {dtype}")
    return x, tuple(int(s) for s in shape)


def check_random_state(seed):
    """:func:`sklearn.utils.check_random_state`, imported on first use (sklearn pulls in scipy.stats)."""
    from sklearn.utils import check_random_state as _check

    try:
        return _check(seed)
    except ValueError as exc:
        raise InputError(f"random_state: {exc}") from None


def check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise InputError(f"{name} contains NaN or infinite values")


def check_int(value, name: str, minimum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"{name} must be finite, got {value}")
    return value


def check_thresholds(thresholds, name: str = "thresholds") -> np.ndarray:
    """A non-empty 1-D float array of finite thresholds (a scalar is not accepted)."""
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, (Iterable, np.ndarray)):
        raise InputError(f"{name} must be a sequence of numbers, got {thresholds!r}")
    values = [check_float(t, f"{name}[{k}]") for k, t in enumerate(thresholds)]
    if not values:
        raise InputError(f"{name} must not be empty")
    return np.asarray(values, dtype=np.float64)


def check_pairs(pairs, name: str = "pairs", n_seqs: int | None = None,
                length: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(seq, i, j)``: three 1-D integer arrays of equal length, within bounds."""
    if not isinstance(pairs, (tuple, list)) or len(pairs) != 3:
        raise InputError(f"{name} must be a tuple of three integer arrays (seq, i, j)")
    out = []
    for label, arr in zip(("seq", "i", "j"), pairs):
        arr = np.asarray(arr)
        if arr.ndim != 1:
            raise InputError(f"{name}: {label} must be 1-dimensional, got shape {arr.shape}")
        if arr.size and arr.dtype.kind not in "iu":
            raise InputError(f"{name}: {label} must hold integers, got dtype {arr.dtype}")
        out.append(arr.astype(np.int64, copy=False))
    seq, i, j = out
    if not (seq.size == i.size == j.size):
        raise InputError(f"{name}: seq, i and j differ in length ({seq.size}, {i.size}, {j.size})")
    for label, arr, bound in (("seq", seq, n_seqs), ("i", i, length), ("j", j, length)):
        if arr.size and arr.min() < 0:
            raise InputError(f"{name}: {label} holds negative indices")
        if bound is not None and arr.size and arr.max() >= bound:
            raise InputError(f"{name}: {label} index {int(arr.max())} out of range (size {bound})")
    return seq, i, j


def check_labels(filter_labels, n_filters: int, name: str = "filter_labels") -> list:
    """Length-F list of motif names; ``None`` and ``""`` mean "unlabelled" (-> None)."""
    if isinstance(filter_labels, (str, bytes)):
        raise InputError(f"{name} must be a sequence of motif names or None, not a string")
    try:
        labels = list(filter_labels)
    except TypeError:
        raise InputError(f"{name} must be a sequence of motif names or None") from None
    if len(labels) != n_filters:
        raise InputError(f"{name} has {len(labels)} entries but the map has {n_filters} filters")
    out = []
    for k, lab in enumerate(labels):
        if lab is None or (isinstance(lab, float) and np.isnan(lab)):
            out.append(None)
        elif isinstance(lab, (str, np.str_)):
            out.append(str(lab) if str(lab) else None)
        else:
            raise InputError(f"{name}[{k}] must be a motif name or None, got {lab!r}")
    return out


def normalize_interactions(interactions, name: str = "interactions") -> set[frozenset]:
    """Ground-truth interactions as a set of unordered motif-name pairs.

    Accepted items: ``(a, b)``, ``(a, b, logic, ...)`` (extra entries ignored),
    a mapping with a ``"motifs"`` entry, or an object with a ``.motifs``
    attribute (e.g. :class:`simulate.grammar.Interaction`). A homotypic pair
    ``(a, a)`` becomes ``frozenset({a})``.
    """
    if isinstance(interactions, (str, bytes)) or not isinstance(interactions, Iterable):
        raise InputError(f"{name} must be an iterable of (motif_a, motif_b) pairs")
    out = set()
    for k, item in enumerate(interactions):
        motifs = item
        if isinstance(item, Mapping):
            motifs = item.get("motifs")
        elif hasattr(item, "motifs") and not isinstance(item, (tuple, list)):
            motifs = item.motifs
        if isinstance(motifs, (str, bytes)) or not isinstance(motifs, (tuple, list, np.ndarray)) \
                or len(motifs) < 2:
            raise InputError(f"{name}[{k}] must name two motifs, got {item!r}")
        a, b = motifs[0], motifs[1]
        if not isinstance(a, (str, np.str_)) or not isinstance(b, (str, np.str_)) or not a or not b:
            raise InputError(f"{name}[{k}] must name two motifs, got {item!r}")
        out.add(frozenset((str(a), str(b))))
    return out
