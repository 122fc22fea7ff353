"""Validators shared by every layer: typed config fields (and, below, arrays every layer reads).

They live in the lowest package because every package above needs them and
imports flow one way (simulate <- architectures <- analysis <- glifac); this
module imports nothing heavier than NumPy.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from simulate.errors import InputError

# annotation (a string under `from __future__ import annotations`) -> (test, wording)
_FIELD_TYPES = {
    "str": (lambda v: isinstance(v, str), "str"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "int"),
    "bool": (lambda v: isinstance(v, bool), "bool"),
    # ints are acceptable rates (e.g. 0 from JSON); bools are not
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "float"),
    # a sequence of ints (JSON gives lists; configs store tuples)
    "tuple": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(i, int) and not isinstance(i, bool)
                                                             for i in v), "list of int"),
}


def check_fields(config, label: str | None = None) -> None:
    """Check every field of a frozen config dataclass against its annotation.

    The one type check behind every typed config of the project (models,
    training, interpretation, sweeps). Annotations may be ``str``, ``int``,
    ``bool``, ``float``, ``tuple`` (of ints) or ``Optional[...]`` of one of them.

    Parameters
    ----------
    config : dataclass instance
    label : str, optional
        Prefix naming what the fields are, e.g. ``"model override"``.

    Raises
    ------
    InputError
        Names the first field whose value has the wrong type.
    """
    for f in fields(config):
        annotation = str(f.type)
        optional = annotation.startswith("Optional[")
        base = annotation[len("Optional["):-1] if optional else annotation
        test, wording = _FIELD_TYPES[base]
        value = getattr(config, f.name)
        if (optional and value is None) or test(value):
            continue
        expected = f"{wording} or None" if optional else wording
        name = f"{label} {f.name!r}" if label else f.name
        raise InputError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")


def without_neutral(values: dict, neutral: dict) -> dict:
    """``values`` without the keys whose value equals ``neutral``'s: the identity of a config whose
    later-added fields are at the defaults that reproduce what earlier records meant (sweep cells
    hashed before a field existed keep their ids)."""
    return {k: v for k, v in values.items() if not (k in neutral and v == neutral[k])}


# ---------------------------------------------------------------- arrays
PPM_TOLERANCE = 1e-3  # how far a PPM row may sum from 1 (JASPAR counts rounded to 3 decimals pass)


def check_one_hot_shape(x, name: str = "x") -> tuple[int, int, int]:
    """Shape ``(N, L, 4)`` of one-hot sequences, channels last (A, C, G, T), without reading ``x``.

    Works for NumPy arrays, memmaps and h5py datasets. Raises InputError naming ``name``.
    """
    shape = tuple(getattr(x, "shape", ()) or ())
    if len(shape) != 3 or shape[2] != 4:
        raise InputError(f"{name} must be one-hot sequences of shape (N, L, 4), channels A, C, G, T last; "
                         f"got shape {shape}")
    return tuple(int(s) for s in shape)


def check_one_hot(x, name: str = "x") -> np.ndarray:
    """``x`` as an array after checking that every position holds exactly one 1 and three 0s.

    Parameters
    ----------
    x : array_like, shape (N, L, 4)

    Returns
    -------
    numpy.ndarray, shape (N, L, 4), the dtype of ``x``

    Raises
    ------
    InputError
        Wrong shape or a position that is not one-hot (the first such position is named).
    """
    x = np.asarray(x)
    check_one_hot_shape(x, name)
    if x.size:
        xf = x.astype(np.float32, copy=False)
        # non-negative entries summing to 1 with a maximum of 1: exactly one 1, rest 0
        if not (xf.min() >= 0 and (xf.sum(axis=-1) == 1).all() and (xf.max(axis=-1) == 1).all()):
            ok = ((xf == 0) | (xf == 1)).all(axis=-1) & (xf.sum(axis=-1) == 1)
            n, p = np.argwhere(~ok)[0]
            raise InputError(f"{name} is not one-hot at sequence {n}, position {p}: {x[n, p].tolist()}")
    return x


def check_ppm(ppm, name: str = "ppm", ndim: tuple[int, ...] = (2,)) -> np.ndarray:
    """A position probability matrix (or a stack of them) as float64 rows that sum to 1.

    Parameters
    ----------
    ppm : array_like, shape (W, 4), or (F, W, 4) when 3 is in ``ndim``
        Rows are positions, columns A, C, G, T.
    name : str
        Named in the error message.
    ndim : tuple of int
        Accepted numbers of dimensions.

    Returns
    -------
    numpy.ndarray, float64, rows renormalised to sum exactly to 1

    Raises
    ------
    InputError
        Not numeric, wrong shape, negative or non-finite entries, or a row summing
        to more than :data:`PPM_TOLERANCE` away from 1.
    """
    try:
        arr = np.asarray(ppm, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} is not a numeric matrix") from None
    if arr.ndim not in ndim or arr.shape[-1] != 4 or arr.shape[-2] < 1:
        shapes = " or ".join({2: "(W, 4)", 3: "(F, W, 4)"}[d] for d in ndim)
        raise InputError(f"{name} must have shape {shapes} with columns A, C, G, T, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} has negative or non-finite entries")
    if np.abs(arr.sum(axis=-1) - 1).max(initial=0) > PPM_TOLERANCE:
        raise InputError(f"{name} rows must sum to 1 (a position probability matrix)")
    return arr / arr.sum(axis=-1, keepdims=True)
