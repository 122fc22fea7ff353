"""From extracted arrays to labelled filters, interaction maps and scores (no model, no files).

:func:`analyse` is the model-free half of :func:`glifac.interpretation.interpret`:
given pooled feature maps, head-aggregated attention, a shuffled null and the
first-layer filter PPMs, it labels the filters against the grammar's motifs
(Tomtom), builds the GLIFAC and local-attention maps at every threshold and
scores them against the grammar's interactions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glifac.interpretation.config import (AUTHORS_MIN_INFORMATION, HEADLINE_THRESHOLD, METHODS,
                                          InterpretConfig, null_quantiles)


@dataclass
class Analysis:
    """Everything :func:`analyse` computes; :mod:`glifac.interpretation.outputs` writes it.

    Attributes
    ----------
    thresholds : list of float
        Attention thresholds, null quantiles resolved.
    threshold_labels : list of str
    quantiles : dict
        Null attention quantiles ``q90``, ``q95``, ``q99``.
    filter_rows : list of dict
        One per filter: label, best motif, q-value, information content, sites, JASPAR match.
    labels : list of (str or None)
        Each filter's motif label.
    coverage : dict
        :func:`analysis.filter_coverage` plus ``n_filters_matched``.
    maps : dict
        Filter-level method -> (T, F, F) symmetric maps (GLIFAC correlations and
        their attention-free control; local-attention counts symmetrized by the
        larger direction, as the authors do).
    glifac, local : analysis.GlifacMaps, analysis.LocalAttentionMaps
        The raw results (unsymmetrized maps, pair counts).
    scores : dict
        Method -> one row of scores per threshold.
    headline_index : int
        Index of the threshold nearest :data:`HEADLINE_THRESHOLD`.
    interactions : dict
        Method -> motif pairs ranked at the headline threshold.
    scored : bool
    skip_reason : str or None
    attention_histogram : numpy.ndarray, shape (2, 100)
        Off-diagonal attention values of the test sequences (row 0) and of their
        dinucleotide shuffles (row 1), counted in 100 equal bins over [0, 1].
    truth : list of (motif_a, motif_b, logic)
    decoys : list of (motif_a, motif_b)
        The grammar's decoy pairs (co-occur like the true pairs, do not interact).
    cooccurrence : numpy.ndarray, shape (M, M), or None
        Presence correlation of the grammar's motifs over the interpreted sequences.
    motif_names : list of str
    """

    thresholds: list
    threshold_labels: list
    quantiles: dict
    filter_rows: list
    labels: list
    coverage: dict
    maps: dict
    glifac: object
    local: object
    scores: dict
    headline_index: int
    interactions: dict
    scored: bool
    skip_reason: str | None
    attention_histogram: np.ndarray
    truth: list
    decoys: list
    cooccurrence: object
    motif_names: list


def analyse(features, attention, null_attention, ppms, n_sites, grammar, config: InterpretConfig,
            placements=None, verbose: bool = False) -> Analysis:
    """Label filters, build interaction maps at every threshold and score them.

    Parameters
    ----------
    features : numpy.ndarray, shape (N, L', F)
        Pooled feature maps.
    attention : numpy.ndarray, shape (N, L', L')
        Head-aggregated attention, diagonal 0.
    null_attention : numpy.ndarray, shape (N0, L', L')
        The same for dinucleotide-shuffled sequences.
    ppms : numpy.ndarray, shape (F, W, 4)
        First-layer filter PPMs.
    n_sites : numpy.ndarray, shape (F,)
        Windows behind each PPM.
    grammar : simulate.Grammar or None
        Ground truth; None skips labelling against it and scoring.
    config : InterpretConfig
    placements : numpy.ndarray, shape (M, 4), optional
        The interpreted sequences' planted instances (the dataset's
        ``placements_test``), for the model-free co-occurrence baseline.
    verbose : bool
        Progress lines on stderr.
    """
    from analysis import (attention_histogram, glifac_maps, information_content,
                          local_attention_maps,
                          match_filters, motif_pair_metrics, motif_pair_table, motif_presence,
                          presence_correlation)
    from glifac.progress import say
    from simulate.jaspar import jaspar_ppms

    quantiles = null_quantiles(null_attention)
    items = config.threshold_items
    values = [quantiles[label] if value is None else value for value, label in items]
    labels_t = [f"null {label} = {quantiles[label]:.3f}" if value is None else label for value, label in items]

    say("matching filters to motifs (Tomtom)", verbose)
    n_filters = ppms.shape[0]
    ic = information_content(ppms)
    filter_rows = [{"filter": f, "label": None, "qvalue": None, "pvalue": None, "information_content": float(ic[f]),
                    "n_sites": int(n_sites[f]), "jaspar_match": None} for f in range(n_filters)]
    labels: list[str | None] = [None] * n_filters
    coverage: dict = {}
    _, background = jaspar_ppms()
    if grammar is not None:
        names = grammar.motif_names
        matches = match_filters(ppms, [m.ppm for m in grammar.motifs], names, n_sites=n_sites,
                                background_ppms=background)
        labels = [m.label for m in matches]
        for row, match in zip(filter_rows, matches):
            row.update(label=match.label, best_motif=match.best_motif, qvalue=match.qvalue, pvalue=match.pvalue,
                       strand=match.strand)
        coverage = _coverage(labels, grammar)
    if config.jaspar:
        jaspar_names, jaspar_all = jaspar_ppms(with_ids=True)
        hits = match_filters(ppms, jaspar_all, jaspar_names, n_sites=n_sites)
        for row, hit in zip(filter_rows, hits):
            row["jaspar_match"] = hit.label
            row["jaspar_qvalue"] = hit.qvalue
        coverage["n_filters_jaspar_only"] = int(
            sum(row["jaspar_match"] is not None and row["label"] is None for row in filter_rows))

    say(f"GLIFAC, its attention-free control and local attention at {len(values)} thresholds", verbose)
    glifac = glifac_maps(features, attention, values, random_state=config.seed)
    glifac_random = glifac_maps(features, attention, values, random_state=config.seed, attended=False)
    local = local_attention_maps(features, attention, values)
    maps = {"glifac": glifac.maps, "glifac_random": glifac_random.maps,
            "local": np.maximum(local.counts, np.transpose(local.counts, (0, 2, 1))).astype(float)}
    n_pairs = {"glifac": glifac.n_attended, "glifac_random": glifac_random.n_random, "local": local.n_pairs}

    skip_reason = None
    if grammar is None:
        skip_reason = "the dataset has no ground-truth grammar"
    elif not grammar.interactions:
        skip_reason = "no ground truth: scores not computed (no interacting pairs given)"
    elif not any(label is not None for label in labels):
        skip_reason = "no filter matched a grammar motif"
    scored = skip_reason is None
    truth = grammar.interaction_pairs() if grammar is not None else []
    truth_pairs = [(a, b) for a, b, _ in truth]
    decoys = list(grammar.decoys) if grammar is not None else []
    motif_names = grammar.motif_names if grammar is not None else []
    cooccurrence = None
    if placements is not None and grammar is not None:
        cooccurrence = presence_correlation(motif_presence(placements, len(features), len(motif_names)))
    authors_filters = {"glifac": ic > AUTHORS_MIN_INFORMATION, "glifac_random": ic > AUTHORS_MIN_INFORMATION,
                       "local": None}
    methods = [m for m in METHODS if m in maps or (m == "cooccurrence" and cooccurrence is not None)]

    scores: dict[str, list[dict]] = {method: [] for method in methods}
    for k, (value, label) in enumerate(zip(values, labels_t)):
        for method in methods:
            row = {"threshold": value, "threshold_label": label}
            if method == "cooccurrence":  # threshold-free: the same row at every threshold; needs no filter
                row["n_sequences"] = int(len(features))
                if truth_pairs:
                    row.update(motif_pair_metrics(cooccurrence, motif_names, truth_pairs, decoys))
                scores[method].append(row)
                continue
            row["n_pairs"] = int(n_pairs[method][k])
            if method.startswith("glifac"):
                row["n_random_pairs"] = int((glifac if method == "glifac" else glifac_random).n_random[k])
            if scored and glifac.n_attended[k] == 0:
                # an all-zero map would score AUROC 0.5 as if measured
                row.update(auroc=None, aupr=None, snr=None, reason="no attended pairs at this threshold")
            elif scored:
                row.update(_metrics(maps[method][k], labels, truth_pairs, authors_filters[method]))
                ranked = motif_pair_table(maps[method][k], labels, truth_pairs, include_missing=False)
                row.update(motif_pair_metrics(ranked, motif_names, truth_pairs, decoys))
                if method == "local":
                    row.update(_instance_scores(local.counts[k], labels, truth_pairs))
            scores[method].append(row)

    headline_index = int(np.argmin([abs(v - HEADLINE_THRESHOLD) for v in values]))
    interactions = {}
    if grammar is not None and any(label is not None for label in labels):
        interactions = {method: motif_pair_table(maps[method][headline_index], labels, truth_pairs)
                        for method in methods if method in maps}
    if cooccurrence is not None and truth_pairs:
        interactions["cooccurrence"] = _matrix_ranking(cooccurrence, motif_names, truth_pairs)
    decoy_keys = {frozenset(pair) for pair in decoys}
    for rows in interactions.values():
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
            row["is_decoy"] = frozenset((row["motif_a"], row["motif_b"])) in decoy_keys
    return Analysis(thresholds=values, threshold_labels=labels_t, quantiles=quantiles, filter_rows=filter_rows,
                    labels=labels, coverage=coverage, maps=maps, glifac=glifac, local=local, scores=scores,
                    headline_index=headline_index, interactions=interactions, scored=scored,
                    skip_reason=skip_reason, truth=truth, decoys=decoys, cooccurrence=cooccurrence,
                    attention_histogram=np.stack([attention_histogram(attention), attention_histogram(null_attention)]),
                    motif_names=motif_names)


def _matrix_ranking(matrix, names, truth_pairs) -> list[dict]:
    """Motif pairs ranked by a symmetric (M, M) matrix (rows like :func:`analysis.motif_pair_table`'s)."""
    truth = {frozenset(pair) for pair in truth_pairs}
    rows = [{"motif_a": names[a], "motif_b": names[b], "score": float(matrix[a, b]), "filter_a": None,
             "filter_b": None, "n_filter_pairs": 0, "is_true": frozenset((names[a], names[b])) in truth}
            for a in range(len(names)) for b in range(a + 1, len(names))]
    return sorted(rows, key=lambda r: (-r["score"], r["motif_a"], r["motif_b"]))


def _metrics(score_map, labels, truth_pairs, authors_filters=None) -> dict:
    """Our metrics over labelled filter pairs, plus the authors' variants over their candidates.

    The authors' evaluation (``InteractionPipeline.py``) also counts pairs with
    an unlabelled filter as negatives and, for GLIFAC, first drops filters whose
    PPM holds at most 0.5 bits (``authors_filters`` marks the rest);
    ``snr_top100``, ``aupr_trapezoid``, ``auroc_authors`` and ``aupr_authors``
    are computed over that candidate set so they can be compared with the paper.
    """
    from analysis import interaction_metrics

    ours = interaction_metrics(score_map, labels, truth_pairs)
    authors = interaction_metrics(score_map, labels, truth_pairs, include_unlabelled=True,
                                  candidate_filters=authors_filters)
    ours.update(snr_top100=authors["snr_top100"], aupr_trapezoid=authors["aupr_trapezoid"],
                auroc_authors=authors["auroc"], aupr_authors=authors["aupr"])
    return ours


def _instance_scores(counts, labels, truth_pairs) -> dict:
    """Local attention's TPR and PPV over interaction instances; its reason kept apart from the ranking's."""
    from analysis import local_attention_scores

    instance = local_attention_scores(counts, labels, truth_pairs)
    reason = instance.pop("reason", None)
    if reason:
        instance["instance_reason"] = reason
    return instance


def _coverage(labels, grammar) -> dict:
    """:func:`analysis.filter_coverage` over the motifs a reader asks about, with its scope named.

    For a simulated grammar that is every motif. For a reference set (JASPAR or a MEME
    file, from ``--model``), covering a fraction of hundreds of database motifs says
    nothing, so coverage is over the motifs of the truth pairs, and omitted without them.
    """
    from analysis import filter_coverage

    matched = {label for label in labels if label is not None}
    counts = {"n_filters_matched": int(sum(label is not None for label in labels)),
              "n_distinct_motifs_matched": len(matched)}
    if not grammar.is_reference_set:
        return {**filter_coverage(labels, grammar.motif_names), "motif_scope": "grammar motifs", **counts}
    in_pairs = {name for a, b, _ in grammar.interaction_pairs() for name in (a, b)}
    scope = [name for name in grammar.motif_names if name in in_pairs]
    if not scope:
        return {"motif_scope": None, **counts}
    return {**filter_coverage(labels, scope), "motif_scope": "truth-pair motifs", **counts}
