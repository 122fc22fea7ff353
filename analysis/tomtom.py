"""Match filter PPMs to known motifs with Tomtom, label filters, score coverage.

Matching uses memelite's Tomtom (``memelite.tomtom``; Gupta et al. 2007,
"complete score" variant), which is numba-compiled and fast: 32 filters
against all 746 JASPAR2020 CORE vertebrate motifs take ~0.1 s once compiled.

memelite's API, as used here
----------------------------
``tomtom(Qs, Ts)`` takes lists of motifs shaped **(4, width)** (alphabet
first, PyTorch layout), so every (W, 4) PPM is transposed *inside* this module;
callers always pass (W, 4). The column similarity is the negative Euclidean
distance between columns, so queries and targets must be on the same scale:
we pass **probabilities** (PPMs, rows summing to 1), not log-odds. It returns
five (n_queries, n_targets) arrays: p-values, scores, offsets, overlaps and
strands. With ``reverse_complement=True`` (used here) each target is also
compared reverse-complemented and the better strand is kept, with the p-value
corrected for the two tries (``1 - (1 - p)**2``); ``strand`` is 0 (+) or 1 (-,
the reverse complement of the target; ties go to -). The offset ``o`` means
query column ``i`` is aligned to column ``i + o`` of the target (of its reverse
complement for strand -). memelite gives neither q-values nor E-values; we add
both (below). Its p-values use the target columns as the null, so with fewer
than 25 targets it warns that they depend on the choice of targets: pass a
motif database as ``background_ppms`` (e.g. :func:`jaspar_ppms`) when the
ground-truth motif set is small. The first call in a fresh environment
compiles memelite's kernels (~1 min, cached on disk afterwards).

Significance (defaults and why)
-------------------------------
* ``qvalue_threshold = 0.05``: Benjamini–Hochberg q-value over the targets of
  each filter (motifs plus any background motifs), i.e. a 5 % false discovery
  rate among a filter's matches; MEME's Tomtom reports the same kind of
  q-value (Basset, Kelley et al. 2016, annotated filters at q < 0.1; 0.05 is
  the stricter, common choice). The E-value (``p * n_targets``, MEME's
  definition) and the p-value are reported too and can be required with
  ``evalue_threshold`` / ``pvalue_threshold`` (e.g. E < 0.1 or p < 1e-3).
* ``min_information = 3.0`` bits (total over the filter's W columns, uniform
  background): fewer than ~1.5 fully specified bases cannot identify a
  transcription-factor motif, and Tomtom p-values of near-uniform queries
  are not meaningful.
* ``min_sites = 20``: a PPM from n windows has a small-sample information
  bias of ~2.2 / n bits per column (3 / (2 n ln 2)), ~2 bits over 19 columns
  at n = 20, so PPMs from fewer sites look informative by chance.

A filter is labelled with its best ground-truth motif (lowest p-value, ties
broken by the higher Tomtom score) only when every criterion holds; otherwise
its label is None (its best motif and statistics are still reported).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from analysis._validate import as_array, check_float, check_int
from analysis.filters import information_content
from simulate.errors import InputError
from simulate.validate import check_ppm

__all__ = [
    "FilterMatch",
    "benjamini_hochberg",
    "filter_coverage",
    "match_filters",
    "matches_to_columns",
    "tomtom_pvalues",
]


@dataclass(frozen=True)
class FilterMatch:
    """How one filter matches the ground-truth motifs.

    Attributes
    ----------
    filter : int
        Filter index (0-based).
    label : str or None
        ``best_motif`` when the match is significant and the filter passes the
        information and site cutoffs, else None.
    best_motif : str
        Motif with the lowest p-value, significant or not.
    pvalue, qvalue, evalue : float
        Tomtom p-value (both strands), Benjamini–Hochberg q-value over all
        targets of the filter, and E-value ``p * n_targets`` of ``best_motif``.
    offset : int
        Filter column i aligns with motif column i + offset (of the reverse
        complement when strand is "-"). Relative to the full, untrimmed filter.
    strand : str
        "+" or "-" (the filter matches the motif's reverse complement).
    overlap : int
        Number of aligned columns.
    information_content : float
        Total information of the filter PPM, bits (uniform background).
    n_sites : int or None
        Sites behind the filter PPM, if given.
    """

    filter: int
    label: str | None
    best_motif: str
    pvalue: float
    qvalue: float
    evalue: float
    offset: int
    strand: str
    overlap: int
    information_content: float
    n_sites: int | None


# --------------------------------------------------------------------------
# helpers


def benjamini_hochberg(pvalues) -> np.ndarray:
    """Benjamini–Hochberg q-values along the last axis.

    Parameters
    ----------
    pvalues : array_like, shape (..., m)
        p-values in [0, 1].

    Returns
    -------
    numpy.ndarray, same shape
        ``q_(i) = min_{j >= i} p_(j) * m / j`` over the sorted p-values, capped at 1.
    """
    p = as_array(pvalues, "pvalues", (1, 2)).astype(np.float64)
    if p.shape[-1] == 0:
        return p.copy()
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise InputError("pvalues must lie in [0, 1]")
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return q


def _ppm_list(ppms, name: str) -> list[np.ndarray]:
    """A list of (W, 4) PPMs (from a list or an (M, W, 4) array), validated, float64."""
    if isinstance(ppms, np.ndarray):
        if ppms.ndim != 3:
            raise InputError(f"{name} must be a list of (W, 4) PPMs or an (M, W, 4) array, "
                             f"got shape {ppms.shape}")
        items = list(ppms)
    elif isinstance(ppms, Sequence) and not isinstance(ppms, (str, bytes)):
        items = list(ppms)
    else:
        raise InputError(f"{name} must be a list of (W, 4) PPMs")
    out = []
    for k, ppm in enumerate(items):
        arr = check_ppm(ppm, f"{name}[{k}]")
        if arr.ndim != 2:
            raise InputError(f"{name}[{k}] must be a (W, 4) PPM, got shape {arr.shape}")
        out.append(arr)
    return out


def _to_memelite(ppms: list[np.ndarray]) -> list[np.ndarray]:
    # (W, 4) -> (4, W) float64: memelite's layout. One dtype/layout keeps a
    # single compiled specialisation of its kernels.
    return [np.ascontiguousarray(p.T, dtype=np.float64) for p in ppms]


def tomtom_pvalues(query_ppms, target_ppms, n_jobs: int = -1) -> dict[str, np.ndarray]:
    """All-pairs Tomtom comparison of (W, 4) PPMs (a thin wrapper of memelite).

    Parameters
    ----------
    query_ppms : list of array_like (Wq, 4) or array (Q, W, 4)
    target_ppms : list of array_like (Wt, 4) or array (T, W, 4)
    n_jobs : int, default -1
        numba threads (-1: all).

    Returns
    -------
    dict of numpy.ndarray, each shape (Q, T)
        ``pvalue`` (both strands), ``score``, ``offset`` (int), ``overlap``
        (int), ``strand`` (0 = +, 1 = -).
    """
    from memelite import tomtom

    queries = _ppm_list(query_ppms, "query_ppms")
    targets = _ppm_list(target_ppms, "target_ppms")
    if not queries or not targets:
        raise InputError("tomtom needs at least one query and one target PPM")
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be -1 or a positive integer, got {n_jobs}")
    p, score, offset, overlap, strand = tomtom(_to_memelite(queries), _to_memelite(targets),
                                               n_jobs=n_jobs)
    return {
        "pvalue": np.clip(p, 0.0, 1.0),
        "score": score,
        "offset": offset.astype(np.int64),
        "overlap": overlap.astype(np.int64),
        "strand": strand.astype(np.int64),
    }


# --------------------------------------------------------------------------
# matching


def _optional_threshold(value, name: str) -> float | None:
    if value is None:
        return None
    value = check_float(value, name)
    if value <= 0:
        raise InputError(f"{name} must be > 0, got {value}")
    return value


def match_filters(filter_ppms, motif_ppms, motif_names, *, n_sites=None,
                  qvalue_threshold: float | None = 0.05,
                  pvalue_threshold: float | None = None,
                  evalue_threshold: float | None = None,
                  min_information: float = 3.0, min_sites: int = 20,
                  background_ppms=None, n_jobs: int = -1) -> list[FilterMatch]:
    """Label every filter with its best ground-truth motif, or None.

    Parameters
    ----------
    filter_ppms : array_like, shape (F, W, 4)
        Filter PPMs (rows A, C, G, T), e.g. from :func:`analysis.filters.filter_ppms`.
    motif_ppms : list of array_like (Wm, 4), or array (M, Wm, 4)
        Ground-truth motif PPMs.
    motif_names : sequence of str, length M
        One name per motif; the labels.
    n_sites : array_like, shape (F,), optional
        Sites per filter; required for the ``min_sites`` cutoff (skipped if None).
    qvalue_threshold : float or None, default 0.05
        Label only if the best motif's BH q-value is below this.
    pvalue_threshold, evalue_threshold : float or None, default None
        Optional extra requirements (p-value / E-value below the threshold).
    min_information : float, default 3.0
        Minimum total information content of the filter PPM, bits.
    min_sites : int, default 20
        Minimum ``n_sites`` (when ``n_sites`` is given).
    background_ppms : list of array_like (Wb, 4), optional
        Extra targets that only calibrate the p-values and enter the
        multiple-testing correction (n_targets = M + B); they are never used
        as labels. Recommended when M < 25, e.g. ``jaspar_ppms()[1]``. It may
        contain the ground-truth motifs themselves.
    n_jobs : int, default -1
        numba threads for Tomtom.

    Returns
    -------
    list of FilterMatch, length F
        One row per filter, in filter order (see :func:`matches_to_columns`).

    Notes
    -----
    The module docstring explains the defaults. With fewer than 25 targets in
    total memelite warns that its p-values depend on the choice of targets.
    """
    filters = check_ppm(filter_ppms, "filter_ppms", ndim=(2, 3))
    if filters.ndim != 3 or filters.shape[0] == 0:
        raise InputError(f"filter_ppms must be (F, W, 4) with F >= 1, got shape {filters.shape}")
    F = filters.shape[0]
    motifs = _ppm_list(motif_ppms, "motif_ppms")
    if not motifs:
        raise InputError("motif_ppms must hold at least one motif")
    if isinstance(motif_names, (str, bytes)):
        raise InputError("motif_names must be a sequence of names, not a string")
    names = list(motif_names)
    if len(names) != len(motifs):
        raise InputError(f"motif_names has {len(names)} names but motif_ppms has {len(motifs)} motifs")
    for k, name in enumerate(names):
        if not isinstance(name, (str, np.str_)) or not name:
            raise InputError(f"motif_names[{k}] must be a non-empty string, got {name!r}")
    names = [str(n) for n in names]
    background = [] if background_ppms is None else _ppm_list(background_ppms, "background_ppms")
    if n_sites is not None:
        n_sites = as_array(n_sites, "n_sites", 1)
        if n_sites.shape != (F,) or (n_sites.dtype.kind not in "iu"
                                     and not np.array_equal(n_sites, np.round(n_sites))) \
                or (n_sites < 0).any():
            raise InputError(f"n_sites must be {F} non-negative integers (one per filter), "
                             f"got shape {n_sites.shape}")
        n_sites = n_sites.astype(np.int64)
    q_thr = _optional_threshold(qvalue_threshold, "qvalue_threshold")
    p_thr = _optional_threshold(pvalue_threshold, "pvalue_threshold")
    e_thr = _optional_threshold(evalue_threshold, "evalue_threshold")
    min_information = check_float(min_information, "min_information")
    min_sites = check_int(min_sites, "min_sites", minimum=0)

    res = tomtom_pvalues(list(filters), motifs + background, n_jobs=n_jobs)
    M, n_targets = len(motifs), len(motifs) + len(background)
    qvals = benjamini_hochberg(res["pvalue"])
    ic = information_content(filters)

    rows = []
    for f in range(F):
        p = res["pvalue"][f, :M]
        j = int(np.lexsort((-res["score"][f, :M], p))[0])
        pv, qv = float(p[j]), float(qvals[f, j])
        ev = pv * n_targets
        ok = ic[f] >= min_information
        ok &= n_sites is None or n_sites[f] >= min_sites
        ok &= q_thr is None or qv < q_thr
        ok &= p_thr is None or pv < p_thr
        ok &= e_thr is None or ev < e_thr
        rows.append(FilterMatch(
            filter=f,
            label=names[j] if ok else None,
            best_motif=names[j],
            pvalue=pv,
            qvalue=qv,
            evalue=ev,
            offset=int(res["offset"][f, j]),
            strand="-" if res["strand"][f, j] else "+",
            overlap=int(res["overlap"][f, j]),
            information_content=float(ic[f]),
            n_sites=None if n_sites is None else int(n_sites[f]),
        ))
    return rows


def matches_to_columns(matches: Sequence[FilterMatch]) -> dict[str, list]:
    """Column view of :func:`match_filters` rows: field name -> list of values (length F)."""
    if isinstance(matches, (str, bytes)) or not isinstance(matches, Sequence):
        raise InputError("matches must be a list of FilterMatch rows")
    for k, m in enumerate(matches):
        if not isinstance(m, FilterMatch):
            raise InputError(f"matches[{k}] is not a FilterMatch")
    fields = list(FilterMatch.__dataclass_fields__)
    rows = [asdict(m) for m in matches]
    return {name: [r[name] for r in rows] for name in fields}


# --------------------------------------------------------------------------
# coverage


def filter_coverage(labels, motif_names) -> dict:
    """How many ground-truth motifs the filters cover.

    Parameters
    ----------
    labels : sequence of (str or None), length F
        Per-filter labels (``[m.label for m in match_filters(...)]``); None
        means unlabelled.
    motif_names : sequence of str
        The ground-truth (grammar) motifs.

    Returns
    -------
    dict
        ``coverage`` (float): fraction of ``motif_names`` matched by >= 1 filter;
        ``fraction_filters_matched`` (float): fraction of filters whose label
        is one of ``motif_names``; ``matched_motifs`` / ``missing_motifs``
        (list of str, in ``motif_names`` order); ``filters_per_motif``
        (dict name -> number of filters).
    """
    if isinstance(labels, (str, bytes)) or isinstance(motif_names, (str, bytes)):
        raise InputError("labels and motif_names must be sequences, not strings")
    try:
        labels = list(labels)
        motif_names = list(motif_names)
    except TypeError:
        raise InputError("labels and motif_names must be sequences") from None
    if not labels:
        raise InputError("labels must have one entry per filter, got none")
    if not motif_names:
        raise InputError("motif_names must not be empty")
    for k, lab in enumerate(labels):
        if lab is not None and not isinstance(lab, (str, np.str_)):
            raise InputError(f"labels[{k}] must be a motif name or None, got {lab!r}")
    for k, name in enumerate(motif_names):
        if not isinstance(name, (str, np.str_)) or not name:
            raise InputError(f"motif_names[{k}] must be a non-empty string, got {name!r}")
    if len(set(motif_names)) != len(motif_names):
        raise InputError("motif_names contains duplicates")
    known = set(motif_names)
    per_motif = {name: sum(lab == name for lab in labels) for name in motif_names}
    matched = [n for n in motif_names if per_motif[n] > 0]
    return {
        "coverage": len(matched) / len(motif_names),
        "fraction_filters_matched": sum(lab in known for lab in labels) / len(labels),
        "matched_motifs": matched,
        "missing_motifs": [n for n in motif_names if per_motif[n] == 0],
        "filters_per_motif": per_motif,
    }
