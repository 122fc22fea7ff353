"""Offline JASPAR look-ups through pyjaspar's bundled SQLite releases: the project's one home for JASPAR.

:func:`jaspar_ppm` reads one matrix (grammar motifs); :func:`jaspar_ppms` reads a whole
collection (Tomtom calibration and database matches of filters).
"""
from __future__ import annotations

import warnings
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


@lru_cache(maxsize=8)
def _jaspar(release: str, collection: str, tax_group: str | None):
    db = jaspar_database(release)
    kwargs = {"collection": collection}
    if tax_group is not None:
        kwargs["tax_group"] = [tax_group]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = db.fetch_motifs(**kwargs)
    if not records:
        raise InputError(f"no JASPAR motifs for release={release!r}, collection={collection!r}, "
                         f"tax_group={tax_group!r}")
    ids, names, ppms = [], [], []
    for rec in records:
        ppm = counts_to_ppm(rec.counts)
        ppm.setflags(write=False)
        ids.append(str(rec.matrix_id))
        names.append(str(rec.name))
        ppms.append(ppm)
    return tuple(ids), tuple(names), tuple(ppms)


def jaspar_ppms(release: str = "JASPAR2020", collection: str = "CORE",
                tax_group: str | None = "vertebrates", with_ids: bool = False):
    """All PPMs of a JASPAR collection, offline (pyjaspar's bundled database).

    The database is read once per process and argument set (cached, ~0.5 s
    for JASPAR2020 CORE vertebrates, 746 motifs); latest versions only.

    Parameters
    ----------
    release : str, default "JASPAR2020"
    collection : str, default "CORE"
    tax_group : str or None, default "vertebrates"
        None for all taxonomic groups.
    with_ids : bool, default False
        Name each motif "MA0466.2 CEBPB" (matrix ID and TF name) instead of
        the TF name alone (TF names are not always unique across IDs).

    Returns
    -------
    names : list of str, length M
    ppms : list of numpy.ndarray, each (W, 4), rows A, C, G, T (read-only)
    """
    for value, label in ((release, "release"), (collection, "collection")):
        if not isinstance(value, str) or not value:
            raise InputError(f"{label} must be a non-empty string, got {value!r}")
    if tax_group is not None and (not isinstance(tax_group, str) or not tax_group):
        raise InputError(f"tax_group must be a non-empty string or None, got {tax_group!r}")
    ids, names, ppms = _jaspar(release, collection, tax_group)
    if with_ids:
        names = [f"{i} {n}" for i, n in zip(ids, names)]
    return list(names), list(ppms)
