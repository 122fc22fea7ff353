"""Scoring filter-interaction maps against a ground-truth motif grammar.

Inputs everywhere: a map over filter pairs (F, F) — a GLIFAC correlation map
or a local-attention count map —, ``filter_labels`` (length F, the motif each
filter was matched to, ``None`` or ``""`` for unmatched filters) and
``interactions`` (the ground truth: ``(motif_a, motif_b)`` pairs, extra
entries such as a logic ignored, or :class:`simulate.grammar.Interaction`
objects / ``{"motifs": [a, b]}`` mappings). Interactions are unordered: a
filter pair labelled (b, a) matches the interaction (a, b).

Candidate filter pairs (the paper's scheme): ``f < g`` with both labels set
and different. A candidate is positive when its two labels form a
ground-truth interaction. Homotypic interactions (a, a) can never be
positive candidates in this scheme (they do count in
:func:`local_attention_scores`).

Scores are used as they are (GLIFAC correlations can be negative: a strong
negative correlation ranks low, as in the authors' evaluation).
"""
from __future__ import annotations

import numpy as np

from analysis._validate import as_array, check_labels, normalize_interactions
from simulate.errors import InputError

__all__ = [
    "filter_pair_scores",
    "interaction_metrics",
    "local_attention_scores",
    "motif_pair_metrics",
    "motif_pair_table",
]

_COMBINE = (None, "max", "sum", "absmax")
SNR_TOP_K = 100


def _square(score_map, name: str = "score_map") -> np.ndarray:
    m = as_array(score_map, name, 2).astype(np.float64)
    if m.shape[0] != m.shape[1]:
        raise InputError(f"{name} must be square (F, F), got shape {m.shape}")
    return m


def _combined(m: np.ndarray, combine) -> np.ndarray:
    """A symmetric version of ``m`` following ``combine`` (see :func:`filter_pair_scores`)."""
    if combine not in _COMBINE:
        raise InputError(f"combine must be one of None, 'max', 'sum', 'absmax', got {combine!r}")
    if combine is None:
        if not np.allclose(m, m.T, rtol=1e-9, atol=1e-12, equal_nan=True):
            raise InputError("score_map is not symmetric: symmetrize it first or pass combine='max'|'sum'|'absmax'")
        return m
    if combine == "max":
        return np.maximum(m, m.T)
    if combine == "sum":
        return m + m.T
    from analysis.correlation import symmetrize
    out = symmetrize(m)
    np.fill_diagonal(out, np.diag(m))
    return out


def filter_pair_scores(score_map, filter_labels, interactions, *, combine=None,
                       include_unlabelled: bool = False, candidate_filters=None) -> dict:
    """Candidate filter pairs with their scores and ground-truth status.

    Parameters
    ----------
    score_map : array_like, shape (F, F)
    filter_labels : sequence of str or None, length F
    interactions : iterable of motif pairs (see module docstring)
    combine : {None, "max", "sum", "absmax"}
        How to read an asymmetric map: ``None`` requires a symmetric map
        (InputError otherwise); "max"/"sum" combine ``M[f, g]`` and
        ``M[g, f]`` (e.g. "sum" for directional count maps); "absmax" keeps
        the entry of larger magnitude (:func:`analysis.symmetrize`).
    include_unlabelled : bool, default False
        Also count pairs with one unlabelled filter as (negative) candidates,
        as the authors' code did (two unlabelled filters are still excluded).
    candidate_filters : array_like of bool, shape (F,), optional
        Only pairs of filters marked True are candidates (default: all). The
        authors drop filters of total information content <= 0.5 bits before
        GLIFAC; pass ``information_content(ppms) > 0.5`` to do the same.

    Returns
    -------
    dict with numpy arrays of length K (candidates, in row-major f < g order):
        ``f``, ``g`` (int), ``score`` (float), ``is_true`` (bool), and
        ``labels`` (list of (label f, label g)).
    """
    m = _square(score_map)
    labels = check_labels(filter_labels, m.shape[0])
    truth = normalize_interactions(interactions)
    sym = _combined(m, combine)
    F = m.shape[0]
    if candidate_filters is None:
        allowed = np.ones(F, dtype=bool)
    else:
        allowed = as_array(candidate_filters, "candidate_filters", 1)
        if allowed.shape != (F,) or allowed.dtype != np.bool_:
            raise InputError(f"candidate_filters must be {F} booleans (one per filter), "
                             f"got shape {allowed.shape} dtype {allowed.dtype}")
    f_idx, g_idx = np.triu_indices(F, k=1)
    keep = []
    for f, g in zip(f_idx.tolist(), g_idx.tolist()):
        a, b = labels[f], labels[g]
        if a == b or not (allowed[f] and allowed[g]):
            continue
        if (a is None or b is None) and not include_unlabelled:
            continue
        keep.append((f, g))
    f_arr = np.array([p[0] for p in keep], dtype=np.int64)
    g_arr = np.array([p[1] for p in keep], dtype=np.int64)
    scores = sym[f_arr, g_arr] if keep else np.zeros(0)
    if np.isnan(scores).any():
        raise InputError("score_map has NaN at candidate filter pairs (compute maps with fill_value=0)")
    lab = [(labels[f], labels[g]) for f, g in keep]
    is_true = np.array([None not in p and frozenset(p) in truth for p in lab], dtype=bool)
    return {"f": f_arr, "g": g_arr, "score": scores, "is_true": is_true, "labels": lab}


def interaction_metrics(score_map, filter_labels, interactions, *, combine=None,
                        include_unlabelled: bool = False, candidate_filters=None) -> dict:
    """How well a filter-pair map ranks ground-truth interactions above the rest.

    Parameters
    ----------
    score_map, filter_labels, interactions, combine, include_unlabelled, candidate_filters
        As in :func:`filter_pair_scores`.

    Returns
    -------
    dict
        ``auroc``
            :func:`sklearn.metrics.roc_auc_score`.
        ``aupr``
            Average precision (:func:`sklearn.metrics.average_precision_score`).
        ``aupr_trapezoid``
            Trapezoidal area under the precision-recall curve,
            ``auc(recall, precision)`` — the authors' AUPR (optimistic).
        ``snr``
            Headline signal-to-noise ratio, a z-score:
            ``(mean(pos) - mean(neg)) / std(neg)`` (sample std, ddof=1). Well
            defined when negatives average 0; ±inf when negatives are all
            equal and the means differ; NaN with fewer than 2 negatives.
        ``snr_ratio_of_means``
            ``mean(pos) / mean(neg)``: ill-conditioned (negatives average
            near 0 for correlation maps); inf/NaN when ``mean(neg) == 0``.
        ``snr_top100``
            The authors' SNR (``glifac_stats`` in rghotra/GLIFAC):
            ``mean(pos) / (mean(top) + eps)`` where ``top`` are the positive
            values among the 100 largest negative scores; NaN when none of
            them is positive.
        ``n_pos``, ``n_neg`` : int
        ``mean_pos``, ``mean_neg`` : float
        ``reason`` : str or None
            Why metrics are NaN (no positives / no negatives), else None.
    """
    cand = filter_pair_scores(score_map, filter_labels, interactions, combine=combine,
                              include_unlabelled=include_unlabelled, candidate_filters=candidate_filters)
    s, y = cand["score"], cand["is_true"]
    pos, neg = s[y], s[~y]
    out = {"auroc": np.nan, "aupr": np.nan, "aupr_trapezoid": np.nan, "snr": np.nan,
           "snr_ratio_of_means": np.nan, "snr_top100": np.nan,
           "n_pos": int(pos.size), "n_neg": int(neg.size),
           "mean_pos": float(pos.mean()) if pos.size else np.nan,
           "mean_neg": float(neg.mean()) if neg.size else np.nan,
           "reason": None}
    if pos.size == 0 or neg.size == 0:
        which = "positive" if pos.size == 0 else "negative"
        out["reason"] = (f"no {which} candidate filter pairs ({pos.size} positive, {neg.size} negative, "
                         f"candidates: labelled filter pairs with different motifs)")
        return out
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

    out["auroc"] = float(roc_auc_score(y, s))
    out["aupr"] = float(average_precision_score(y, s))
    precision, recall, _ = precision_recall_curve(y, s)
    out["aupr_trapezoid"] = float(auc(recall, precision))
    diff = pos.mean() - neg.mean()
    if neg.size >= 2:
        sd = neg.std(ddof=1)
        if sd > 0:
            out["snr"] = float(diff / sd)
        elif diff != 0:
            out["snr"] = float(np.copysign(np.inf, diff))
    else:
        out["reason"] = "snr needs at least 2 negative candidate filter pairs"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["snr_ratio_of_means"] = float(np.float64(pos.mean()) / np.float64(neg.mean()))
    top = np.sort(neg)[::-1][:SNR_TOP_K]
    top = top[top > 0]
    if top.size:
        out["snr_top100"] = float(pos.mean() / (top.mean() + np.finfo(float).eps))
    return out


def motif_pair_table(score_map, filter_labels, interactions, *, combine=None,
                     include_missing: bool = True) -> list[dict]:
    """One row per motif pair, scored by its best filter pair, ranked by score (descending).

    Parameters
    ----------
    score_map, filter_labels, interactions, combine
        As in :func:`filter_pair_scores` (candidates: labelled filters with
        different motifs).
    include_missing : bool, default True
        Append ground-truth pairs that no candidate filter pair maps to, with
        ``score`` NaN and no filters.

    Returns
    -------
    list of dict, keys:
        ``motif_a``, ``motif_b`` (labels of ``filter_a``, ``filter_b``),
        ``score`` (max over the filter pairs mapping to this motif pair),
        ``filter_a``, ``filter_b`` (the best filter pair, ``filter_a < filter_b``),
        ``n_filter_pairs``, ``is_true``.
    """
    cand = filter_pair_scores(score_map, filter_labels, interactions, combine=combine)
    truth = normalize_interactions(interactions)
    best: dict[frozenset, dict] = {}
    for f, g, sc, lab, t in zip(cand["f"].tolist(), cand["g"].tolist(), cand["score"].tolist(),
                                cand["labels"], cand["is_true"].tolist()):
        key = frozenset(lab)
        row = best.get(key)
        if row is None:
            best[key] = {"motif_a": lab[0], "motif_b": lab[1], "score": sc, "filter_a": f,
                         "filter_b": g, "n_filter_pairs": 1, "is_true": bool(t)}
        else:
            row["n_filter_pairs"] += 1
            if sc > row["score"]:
                row.update(motif_a=lab[0], motif_b=lab[1], score=sc, filter_a=f, filter_b=g)
    rows = sorted(best.values(), key=lambda r: (-r["score"], r["motif_a"], r["motif_b"]))
    if include_missing:
        missing = [sorted(p) * (2 if len(p) == 1 else 1) for p in truth if p not in best]
        for a, b in sorted(missing):
            rows.append({"motif_a": a, "motif_b": b, "score": np.nan, "filter_a": None,
                         "filter_b": None, "n_filter_pairs": 0, "is_true": True})
    return rows


def local_attention_scores(count_map, filter_labels, interactions) -> dict:
    """TPR and PPV of local-attention interaction instances.

    An instance counted at ``count_map[f, g]`` (filter f at the query, g at
    the key) maps to the unordered motif pair {label f, label g}.

    Parameters
    ----------
    count_map : array_like, shape (F, F)
        Non-negative instance counts (:func:`analysis.local_attention_map`);
        directional, no symmetry needed.
    filter_labels : sequence of str or None, length F
    interactions : iterable of motif pairs (ground truth)

    Returns
    -------
    dict
        ``tpr``
            Fraction of ground-truth motif pairs found at least once (some
            filter pair mapping to it has a count > 0; for a homotypic pair
            (a, a), any two filters labelled a, the same filter included).
        ``ppv``
            Headline: among instances whose two filters are labelled with
            *different* motifs, the fraction that are ground-truth pairs.
        ``ppv_all_labelled``
            Denominator: instances with both filters labelled (same motif
            too); numerator includes homotypic ground-truth pairs.
        ``ppv_all_instances``
            Denominator: all instances, unlabelled filters included (the
            authors' ``get_match_frac``).
        ``n_instances``, ``n_instances_labelled``, ``n_instances_distinct``,
        ``n_instances_true`` (true among distinct-label instances),
        ``n_instances_true_labelled`` : int
        ``n_interactions``, ``found``, ``missed`` : int, lists of (a, b)
        ``reason`` : str or None — why a metric is NaN.
    """
    m = as_array(count_map, "count_map", 2)
    if m.shape[0] != m.shape[1]:
        raise InputError(f"count_map must be square (F, F), got shape {m.shape}")
    if not np.isfinite(m).all() or (m < 0).any():
        raise InputError("count_map must hold finite non-negative counts")
    labels = check_labels(filter_labels, m.shape[0])
    truth = normalize_interactions(interactions)
    names = sorted({lab for lab in labels if lab is not None})
    code = {n: k for k, n in enumerate(names)}
    lab_idx = np.array([code[lab] if lab is not None else -1 for lab in labels], dtype=np.int64)
    labelled = lab_idx >= 0
    # collapse filters onto motifs: motif × motif instance counts (directional)
    onehot = np.zeros((m.shape[0], len(names)))
    onehot[np.flatnonzero(labelled), lab_idx[labelled]] = 1.0
    mm = onehot.T @ m.astype(np.float64) @ onehot
    total = float(m.sum())
    n_lab = float(mm.sum())
    n_same = float(np.trace(mm))
    n_distinct = n_lab - n_same
    true_mask = np.zeros_like(mm, dtype=bool)
    for p in truth:
        ab = sorted(p) * (2 if len(p) == 1 else 1)
        if ab[0] in code and ab[1] in code:
            a, b = code[ab[0]], code[ab[1]]
            true_mask[a, b] = true_mask[b, a] = True
    offdiag = ~np.eye(len(names), dtype=bool)
    n_true_distinct = float(mm[true_mask & offdiag].sum())
    n_true_lab = float(mm[true_mask].sum())
    found, missed = [], []
    for p in sorted(truth, key=lambda q: sorted(q)):
        ab = sorted(p) * (2 if len(p) == 1 else 1)
        hit = ab[0] in code and ab[1] in code and (mm[code[ab[0]], code[ab[1]]] + mm[code[ab[1]], code[ab[0]]]) > 0
        (found if hit else missed).append(tuple(ab))
    reasons = []
    if not truth:
        reasons.append("no ground-truth interactions")
    if n_distinct == 0:
        reasons.append("no instances between filters labelled with different motifs")

    def _ratio(a, b):
        return a / b if b > 0 else np.nan

    return {
        "tpr": _ratio(len(found), len(truth)),
        "ppv": _ratio(n_true_distinct, n_distinct),
        "ppv_all_labelled": _ratio(n_true_lab, n_lab),
        "ppv_all_instances": _ratio(n_true_lab, total),
        "n_instances": int(round(total)),
        "n_instances_labelled": int(round(n_lab)),
        "n_instances_distinct": int(round(n_distinct)),
        "n_instances_true": int(round(n_true_distinct)),
        "n_instances_true_labelled": int(round(n_true_lab)),
        "n_interactions": len(truth),
        "found": found,
        "missed": missed,
        "reason": "; ".join(reasons) or None,
    }


def motif_pair_metrics(pair_scores, motif_names, interactions, decoys=()) -> dict:
    """Rank every pair of distinct motifs by a score and ask where the true pairs land.

    The motif-level counterpart of :func:`interaction_metrics`, for methods
    that score motif pairs directly (co-occurrence, in-silico interaction tests)
    and for filter maps reduced to their best filter pair per motif pair
    (:func:`motif_pair_table`). Every one of the M(M-1)/2 pairs is a
    candidate; a pair without a score (a motif no filter learned) ranks below
    all scored ones.

    Parameters
    ----------
    pair_scores : dict or array_like
        ``{(motif_a, motif_b): score}`` (unordered; ``motif_pair_table`` rows
        also work as an iterable of dicts with ``motif_a``, ``motif_b``,
        ``score``), or a symmetric (M, M) matrix in ``motif_names`` order.
    motif_names : sequence of str, length M
    interactions : iterable of motif pairs (the positives)
    decoys : iterable of motif pairs, optional
        Pairs that co-occur like the true pairs but do not interact (the hard negatives).

    Returns
    -------
    dict
        ``motif_auroc``, ``motif_aupr`` (average precision) over all pairs;
        ``motif_auroc_vs_decoys``: true pairs against decoy pairs only (NaN
        without decoys); ``n_motif_pairs``, ``n_motif_pairs_scored``,
        ``n_true_pairs``, ``n_decoy_pairs``; ``true_ranks``, ``decoy_ranks``
        (1 = highest score).
    """
    names = [str(n) for n in motif_names]
    if len(set(names)) != len(names) or len(names) < 2:
        raise InputError("motif_names must hold at least two distinct names")
    truth = normalize_interactions(interactions)
    decoy_set = normalize_interactions(decoys)
    lookup = _pair_lookup(pair_scores, names)
    a_idx, b_idx = np.triu_indices(len(names), k=1)
    keys = [frozenset((names[a], names[b])) for a, b in zip(a_idx.tolist(), b_idx.tolist())]
    raw = np.array([lookup.get(key, np.nan) for key in keys], dtype=np.float64)
    scored = np.isfinite(raw)
    floor = (raw[scored].min() - 1.0) if scored.any() else 0.0
    scores = np.where(scored, raw, floor)
    is_true = np.array([key in truth for key in keys])
    is_decoy = np.array([key in decoy_set for key in keys])
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(1, len(keys) + 1)
    out = {"motif_auroc": np.nan, "motif_aupr": np.nan, "motif_auroc_vs_decoys": np.nan,
           "n_motif_pairs": len(keys), "n_motif_pairs_scored": int(scored.sum()),
           "n_true_pairs": int(is_true.sum()), "n_decoy_pairs": int(is_decoy.sum()), "true_ranks": sorted(rank[is_true].tolist()),
           "decoy_ranks": sorted(rank[is_decoy].tolist())}
    from sklearn.metrics import average_precision_score, roc_auc_score

    if 0 < is_true.sum() < len(keys):
        out["motif_auroc"] = float(roc_auc_score(is_true, scores))
        out["motif_aupr"] = float(average_precision_score(is_true, scores))
    if is_true.any() and is_decoy.any():
        both = is_true | is_decoy
        out["motif_auroc_vs_decoys"] = float(roc_auc_score(is_true[both], scores[both]))
    return out


def _pair_lookup(pair_scores, names) -> dict:
    """``{frozenset((a, b)): score}`` from a dict, motif_pair_table rows or an (M, M) matrix."""
    if isinstance(pair_scores, dict):
        return {frozenset(map(str, key)): float(value) for key, value in pair_scores.items()
                if value is not None}
    if isinstance(pair_scores, np.ndarray) or (isinstance(pair_scores, (list, tuple)) and pair_scores
                                               and not isinstance(pair_scores[0], dict)):
        m = _square(pair_scores, "pair_scores")
        if m.shape[0] != len(names):
            raise InputError(f"pair_scores is {m.shape[0]} x {m.shape[0]} for {len(names)} motifs")
        return {frozenset((names[a], names[b])): float(max(m[a, b], m[b, a]))
                for a in range(len(names)) for b in range(a + 1, len(names))}
    lookup = {}
    for row in pair_scores:
        if row.get("score") is None or not np.isfinite(row["score"]):
            continue
        key = frozenset((str(row["motif_a"]), str(row["motif_b"])))
        lookup[key] = max(lookup.get(key, -np.inf), float(row["score"]))
    return lookup
