"""The simulated dataset file (HDF5) and its reader.

Schema (``format_version`` 1); every downstream tool reads it through :func:`load`.

=========================  ===========  =======  ==============================================
name                       shape        dtype    meaning
=========================  ===========  =======  ==============================================
``x_{split}``              (N, L, 4)    uint8    one-hot sequences, channels last, A, C, G, T
``y_{split}``              (N, T)       uint8    0/1 labels, one task per grammar motif (or, for a
                                                 ``two_class`` grammar, one-hot over its two classes)
``placements_{split}``     (M, 4)       int32    ``(seq_index, motif_index, start, strand)``
=========================  ===========  =======  ==============================================

``split`` is ``train``, ``valid`` or ``test``. ``seq_index`` counts within the
split, ``start`` is 0-based on the forward strand, ``strand`` 0 = forward,
1 = reverse complement. Root attributes: ``grammar`` (JSON of the fully
resolved grammar, see :meth:`simulate.grammar.Grammar.to_dict`), ``seed``,
``length``, ``format_version``, ``glifac_version``, ``task_names`` (JSON list),
``generator_version`` (:data:`simulate.generate.GENERATOR_VERSION` of the code that
simulated the file; files written before it existed lack it and are version 1,
whose motif placement crowded instances to the left end).
A dataset made elsewhere may omit ``grammar`` and the placements; it then has
no ground truth and interpretation skips scoring.

The one-hot arrays are stored gzip-compressed (level 1) in chunks of 1,000
sequences: 100,000 sequences take about 15 MB.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.files import atomic_path, refuse_existing
from simulate.generate import GENERATOR_VERSION, SPLIT_NAMES, Simulation
from simulate.grammar import Grammar, grammar_from_json

FORMAT_VERSION = 1
_CHUNK_SEQUENCES = 1000


@dataclass
class Dataset:
    """Arrays and metadata of one dataset file (see the module docstring for the schema).

    Attributes ``x_train``, ``y_train``, ``placements_train`` (and ``_valid``,
    ``_test``) hold the arrays of the splits that were loaded; ``grammar`` is
    ``None`` when the file carries no ground truth. ``generator_version`` says
    which simulator made the file (1 for simulated files that predate the
    attribute, ``None`` for data made elsewhere).
    """

    path: Path
    task_names: list[str]
    length: int
    seed: int | None
    grammar: Grammar | None
    attrs: dict
    generator_version: int | None = None
    arrays: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def __getattr__(self, name):
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @property
    def n_tasks(self) -> int:
        return len(self.task_names)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of one split."""
        if f"x_{name}" not in self.arrays:
            raise InputError(f"{self.path}: split {name!r} was not loaded")
        return self.arrays[f"x_{name}"], self.arrays[f"y_{name}"]


def write_dataset(
    path: str | Path,
    splits: dict[str, Simulation],
    grammar: Grammar,
    seed: int,
    length: int,
    force: bool = False,
) -> Path:
    """Write simulated splits to ``path`` atomically (temporary name, then rename).

    Raises
    ------
    InputError
        ``path`` exists and ``force`` is false (the file is left untouched).
    """
    arrays = {name: {"x": part.x, "y": part.y, "placements": part.placements} for name, part in splits.items()}
    attrs = {"grammar": grammar.to_json(), "task_names": json.dumps(grammar.output_names), "seed": int(seed),
             "length": int(length), "generator_version": GENERATOR_VERSION}
    return write_arrays(path, arrays, attrs, force=force)


def write_arrays(path: str | Path, splits: dict[str, dict[str, np.ndarray]], attrs: dict,
                 force: bool = False) -> Path:
    """Write a dataset file from arrays (the schema above), atomically.

    Parameters
    ----------
    path : str or Path
    splits : dict
        ``{"train" | "valid" | "test": {"x": (N, L, 4) uint8, "y": (N, T) uint8[, "placements": (M, 4)]}}``,
        all three splits.
    attrs : dict
        Root attributes (``task_names`` as a JSON list at least); ``format_version``
        and ``glifac_version`` are added.
    force : bool
        Overwrite an existing file.
    """
    import h5py

    path = Path(path)
    refuse_existing(path, force)
    if path.exists() and not path.is_file():
        raise InputError(f"{path} exists and is not a file")
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            for name in SPLIT_NAMES:
                part = splits[name]
                _write_one_hot(f, f"x_{name}", part["x"])
                f.create_dataset(f"y_{name}", data=part["y"])
                if part.get("placements") is not None:
                    f.create_dataset(f"placements_{name}", data=part["placements"])
            for key, value in attrs.items():
                f.attrs[key] = value
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["glifac_version"] = package_version()
    return path


def _write_one_hot(f, name: str, x: np.ndarray) -> None:
    """Write ``x`` as a gzip-1 chunked dataset, compressing chunks on all cores.

    zlib releases the GIL, so threads compress in parallel; the chunks are
    written raw with ``write_direct_chunk`` and read back by any HDF5 reader
    as an ordinary gzip-filtered dataset.
    """
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    n = len(x)
    rows = max(1, min(_CHUNK_SEQUENCES, n))
    dset = f.create_dataset(name, shape=x.shape, dtype=x.dtype, chunks=(rows,) + x.shape[1:],
                            compression="gzip", compression_opts=1)
    if n == 0:
        return
    x = np.ascontiguousarray(x)
    starts = range(0, n, rows)

    def compress(start):
        block = x[start : start + rows]
        if len(block) < rows:  # HDF5 stores edge chunks at full size
            block = np.concatenate([block, np.zeros((rows - len(block),) + x.shape[1:], x.dtype)])
        return start, zlib.compress(block.tobytes(), 1)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for start, payload in pool.map(compress, starts):
            dset.id.write_direct_chunk((start, 0, 0), payload)


def load(path: str | Path, splits=SPLIT_NAMES) -> Dataset:
    """Read and validate a dataset file.

    Parameters
    ----------
    path : str or Path
    splits : sequence of str
        Which splits to load (default all three); e.g. ``("test",)`` for interpretation.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Missing file, not HDF5, or arrays that do not follow the schema.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {path}")
    try:
        handle = h5py.File(path, "r")
    except OSError:
        raise InputError(f"{path} is not an HDF5 file") from None
    with handle as f:
        unknown = [s for s in splits if s not in SPLIT_NAMES]
        if unknown:
            raise InputError(f"unknown split(s) {unknown}; choose from {', '.join(SPLIT_NAMES)}")
        missing = [k for s in splits for k in (f"x_{s}", f"y_{s}") if k not in f]
        if missing:
            raise InputError(f"{path} is not a glifac dataset (missing {', '.join(missing)})")
        grammar = grammar_from_json(_text(f.attrs["grammar"])) if "grammar" in f.attrs else None
        arrays: dict[str, np.ndarray] = {}
        length = None
        n_tasks = None
        for s in splits:
            x, y = f[f"x_{s}"], f[f"y_{s}"]
            if x.ndim != 3 or x.shape[2] != 4 or not np.issubdtype(x.dtype, np.integer):
                raise InputError(f"{path}: x_{s} must be integer one-hot (N, L, 4), got {x.shape} {x.dtype}")
            if y.ndim != 2 or y.shape[0] != x.shape[0]:
                raise InputError(f"{path}: y_{s} must be (N, T) with N = {x.shape[0]}, got {y.shape}")
            if length is None:
                length, n_tasks = x.shape[1], y.shape[1]
            elif (x.shape[1], y.shape[1]) != (length, n_tasks):
                raise InputError(f"{path}: splits disagree on sequence length or task count")
            arrays[f"x_{s}"] = x[()]
            arrays[f"y_{s}"] = y[()]
            if f"placements_{s}" in f:
                placements = f[f"placements_{s}"][()]
                if placements.ndim != 2 or placements.shape[1] != 4:
                    raise InputError(f"{path}: placements_{s} must be (M, 4), got {placements.shape}")
                arrays[f"placements_{s}"] = placements
        if "task_names" in f.attrs:
            task_names = json.loads(_text(f.attrs["task_names"]))
        elif grammar is not None:
            task_names = grammar.output_names
        else:
            task_names = [f"task_{k}" for k in range(n_tasks)]
        if len(task_names) != n_tasks:
            raise InputError(f"{path}: {len(task_names)} task names for {n_tasks} label columns")
        attrs = {k: _plain(v) for k, v in f.attrs.items() if k != "grammar"}
    seed = attrs.get("seed")
    generator = attrs.get("generator_version", 1 if grammar is not None else None)
    return Dataset(
        path=path,
        task_names=list(task_names),
        length=int(length),
        seed=None if seed is None else int(seed),
        grammar=grammar,
        attrs=attrs,
        generator_version=None if generator is None else int(generator),
        arrays=arrays,
    )


def package_version() -> str:
    """The glifac version of this source tree (:mod:`simulate._version`, shared with glifac)."""
    from simulate._version import __version__

    return __version__


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
