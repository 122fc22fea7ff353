"""Offline JASPAR look-ups through pyjaspar's bundled SQLite releases."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from simulate.errors import InputError

BASES = "ACGT"


@lru_cache(maxsize=None)
def jaspar_database(release: str = "JASPAR2020"):
    """pyjaspar's offline database of one release, opened once per process."""
    from pyjaspar import jaspar_releases, jaspardb

    # pyjaspar only prints a message for an unknown release, so check first
    if release not in jaspar_releases:
        raise InputError(f"unknown JASPAR release {release!r}; available: {', '.join(sorted(jaspar_releases))}")
    return jaspardb(release=release)


def counts_to_ppm(counts) -> np.ndarray:
    """Convert a JASPAR count matrix (dict base -> counts per position) to a PPM.

    Returns
    -------
    numpy.ndarray, shape (W, 4)
        Rows are positions, columns A, C, G, T; rows sum to 1.
    """
    matrix = np.array([counts[base] for base in BASES], dtype=float).T
    return matrix / matrix.sum(axis=1, keepdims=True)


@lru_cache(maxsize=None)
def _cached_ppm(jaspar_id: str, release: str) -> np.ndarray:
    import warnings

    with warnings.catch_warnings():  # pyjaspar warns, then returns None, for unknown IDs
        warnings.simplefilter("ignore")
        motif = jaspar_database(release).fetch_motif_by_id(jaspar_id)
    if motif is None:
        raise InputError(f"unknown JASPAR ID {jaspar_id} in {release}")
    ppm = counts_to_ppm(motif.counts)
    ppm.setflags(write=False)
    return ppm


def jaspar_ppm(jaspar_id: str, release: str = "JASPAR2020") -> np.ndarray:
    """Position probability matrix (W, 4) of one JASPAR matrix ID, e.g. ``MA0466.2``."""
    return _cached_ppm(jaspar_id, release).copy()
