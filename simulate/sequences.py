"""Read a user's own sequences for interpretation: FASTA (plain or gzip), a dataset file, or one-hot ``.npy``.

:func:`read_sequences` returns one-hot ``(N, L, 4)`` uint8 (channels A, C, G, T)
and one name per sequence, whatever the format:

``.fa``, ``.fasta``, ``.fna`` (optionally ``.gz``; gzip is recognised by its magic bytes)
    ``>name`` lines and sequence lines; letters of either case; N and the other
    IUPAC ambiguity codes become all-zero rows (no base: no evidence for any),
    as :func:`simulate.encoding.encode` with ``ambiguous="zero"`` does.
``.h5``
    a dataset file (:mod:`simulate.dataset`): its test split, and its grammar
    (the ground truth) when it has one.
``.npy``
    a one-hot array ``(N, L, 4)``, channels A, C, G, T; rows may be all-zero;
    read with ``allow_pickle=False``.

Every sequence must have the same length (the model's input length); a
file that breaks that is refused with a message saying how to fix it.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulate.encoding import encode
from simulate.errors import InputError

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas")


@dataclass
class Sequences:
    """A user's sequences, one-hot.

    Attributes
    ----------
    x : numpy.ndarray, uint8, shape (N, L, 4)
    names : list of str, length N
    path : Path
    grammar : simulate.Grammar or None
        Ground truth, from a simulated dataset file.
    placements : numpy.ndarray, shape (M, 4), or None
    """

    x: np.ndarray
    names: list
    path: Path
    grammar: object = None
    placements: object = None

    @property
    def length(self) -> int:
        return int(self.x.shape[1])


def read_sequences(path, expected_length: int | None = None) -> Sequences:
    """Read sequences from FASTA (plain or gzip), a dataset ``.h5`` or a one-hot ``.npy`` (module docstring).

    Parameters
    ----------
    path : str or Path
    expected_length : int, optional
        The model's input length: sequences of another length are refused, with how to fix it.

    Raises
    ------
    InputError
        Missing or unreadable file, an unknown format, no sequences, sequences of
        different lengths or of the wrong length, letters that are not IUPAC codes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"sequence file not found: {path}")
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith(".npy"):
        result = _read_npy(path)
    elif stem.endswith((".h5", ".hdf5")):
        result = _read_dataset(path)
    elif stem.endswith(FASTA_SUFFIXES) or _is_gzip(path) or _starts_with(path, b">"):
        result = _read_fasta(path)
    else:
        raise InputError(f"{path}: unknown sequence format; use FASTA (.fa, .fasta, optionally .gz), "
                         "a glifac dataset (.h5) or one-hot .npy (N, L, 4)")
    if expected_length is not None and result.length != expected_length:
        raise InputError(f"{path}: sequences are {result.length} nt long, the model expects {expected_length}; "
                         f"trim or pad them to {expected_length} nt (e.g. centre each on its peak summit)")
    return result


def _is_gzip(path: Path) -> bool:
    return _starts_with(path, b"\x1f\x8b")


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(magic)) == magic


def _read_fasta(path: Path) -> Sequences:
    opener = gzip.open if _is_gzip(path) else open
    names, chunks = [], []
    try:
        with opener(path, "rt") as fh:
            current = None
            for line_number, line in enumerate(fh, 1):
                line = line.strip()
                if not line or line.startswith(";"):
                    continue
                if line.startswith(">"):
                    if current is not None:
                        chunks.append("".join(current))
                    names.append(line[1:].split()[0] if line[1:].split() else f"seq{len(names)}")
                    current = []
                elif current is None:
                    raise InputError(f"{path}: line {line_number} comes before the first '>' header; not FASTA")
                else:
                    current.append(line)
            if current is not None:
                chunks.append("".join(current))
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"{path}: not a readable FASTA file ({exc})") from None
    if not chunks:
        raise InputError(f"{path}: no sequences")
    empty = [n for n, s in zip(names, chunks) if not s]
    if empty:
        raise InputError(f"{path}: sequence {empty[0]!r} is empty")
    lengths = sorted({len(s) for s in chunks})
    if len(lengths) > 1:
        raise InputError(f"{path}: sequences have lengths {lengths[0]} to {lengths[-1]}; they must all have "
                         "the model's input length (trim or pad them)")
    try:
        x = encode(chunks, ambiguous="zero")
    except InputError as exc:
        raise InputError(f"{path}: {exc}".replace("expected A, C, G or T", "expected A, C, G, T or an IUPAC code")) \
            from None
    return Sequences(x=x, names=names, path=path)


def _read_npy(path: Path) -> Sequences:
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({str(exc).splitlines()[0]})") from None
    if x.ndim != 3 or x.shape[2] != 4 or len(x) == 0:
        raise InputError(f"{path}: expected one-hot sequences of shape (N, L, 4), channels A, C, G, T; "
                         f"got {x.shape}")
    if not np.isin(x, (0, 1)).all() or (x.sum(axis=-1) > 1).any():
        raise InputError(f"{path}: not one-hot: every position needs one 1 (or none, for N) and 0s elsewhere")
    return Sequences(x=x.astype(np.uint8), names=[f"seq{i}" for i in range(len(x))], path=path)


def _read_dataset(path: Path) -> Sequences:
    from simulate.dataset import load

    ds = load(path, splits=("test",))
    return Sequences(x=ds.x_test, names=[f"test{i}" for i in range(len(ds.x_test))], path=path,
                     grammar=ds.grammar, placements=ds.arrays.get("placements_test"))
