"""One-hot encoding of DNA: channels last, bases A, C, G, T, everywhere in the project."""
from __future__ import annotations

import numpy as np

from simulate.errors import InputError

BASES = "ACGT"
_ONE_HOT_WORDS = np.eye(4, dtype=np.uint8).view(np.uint32).ravel()
_BASE_INDEX = np.full(256, -1, dtype=np.int8)
for _k, _b in enumerate(BASES):
    _BASE_INDEX[ord(_b)] = _BASE_INDEX[ord(_b.lower())] = _k


# IUPAC ambiguity codes (and gaps) that encode(..., ambiguous="zero") turns into all-zero rows
AMBIGUOUS = "NRYSWKMBDHV-."
_AMBIGUOUS_BYTE = np.zeros(256, dtype=bool)
for _c in AMBIGUOUS:
    _AMBIGUOUS_BYTE[ord(_c)] = _AMBIGUOUS_BYTE[ord(_c.lower())] = True


def one_hot(bases: np.ndarray) -> np.ndarray:
    """Base indices (..., L) in 0..3 (A, C, G, T) -> one-hot (..., L, 4) uint8."""
    # One 4-byte word per base: a single gather instead of four comparisons.
    words = _ONE_HOT_WORDS[np.asarray(bases, dtype=np.intp)]
    return words.view(np.uint8).reshape(*np.shape(bases), 4)


def encode(sequences, ambiguous: str = "error") -> np.ndarray:
    """DNA strings of equal length (A, C, G, T, either case) -> one-hot (N, L, 4) uint8.

    A single string gives (L, 4). Raises InputError for unequal lengths and for
    letters that are not bases. With ``ambiguous="zero"``, N and the other IUPAC
    ambiguity codes (:data:`AMBIGUOUS`, either case) become all-zero rows, the
    padding token: no base, no evidence for any.
    """
    single = isinstance(sequences, str)
    seqs = [sequences] if single else list(sequences)
    lengths = {len(s) for s in seqs}
    if len(lengths) > 1:
        raise InputError(f"sequences differ in length ({sorted(lengths)[:3]} ...)")
    raw = np.frombuffer("".join(seqs).encode("ascii", errors="replace"), dtype=np.uint8)
    index = _BASE_INDEX[raw].astype(np.intp)
    zero = np.zeros(len(raw), dtype=bool)
    if ambiguous == "zero":
        zero = _AMBIGUOUS_BYTE[raw]
        index[zero] = 0
    elif ambiguous != "error":
        raise InputError(f"ambiguous must be 'error' or 'zero', got {ambiguous!r}")
    if (index < 0).any():
        k = int(np.flatnonzero(index < 0)[0])
        length = lengths.pop() if lengths else 0
        raise InputError(f"sequence {k // max(length, 1)} has {chr(raw[k])!r} at position {k % max(length, 1)}; "
                         "expected A, C, G or T")
    x = one_hot(index.reshape(len(seqs), -1))
    if zero.any():
        x[zero.reshape(len(seqs), -1)] = 0
    return x[0] if single else x


def decode(x) -> np.ndarray | str:
    """One-hot (N, L, 4) -> array of N strings; (L, 4) -> one string (argmax per position)."""
    x = np.asarray(x)
    letters = np.array(list(BASES))[x.argmax(axis=-1)]
    if x.ndim == 2:
        return "".join(letters)
    return np.array(["".join(row) for row in letters])
