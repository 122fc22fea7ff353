"""What ``glifac interpret`` writes, and the one place its layout is documented.

Output directory (default ``RUN/interpret``), written under a temporary name and
renamed when complete:

``scores.json``
    ``glifac``, ``local``, ``glifac_random`` (GLIFAC over random pairs only, the
    attention-free control) and, when the dataset records placements,
    ``cooccurrence`` (the model-free control): one key per method of
    :data:`glifac.interpretation.config.METHODS`, one row per threshold with
    ``threshold``, ``threshold_label``, ``n_pairs`` (attended position pairs;
    GLIFAC and its control also ``n_random_pairs``), and when scored the
    motif-level ranking of every method (``motif_auroc``, ``motif_aupr``,
    ``motif_auroc_vs_decoys`` — true pairs against the grammar's decoy pairs
    only —, ``true_ranks``, ``decoy_ranks``, ``n_motif_pairs_scored``; the co-occurrence
    rows hold only these) and, for the filter-level maps, ``auroc``, ``aupr``
    (average precision), ``aupr_trapezoid``, ``snr`` (z-score),
    ``snr_ratio_of_means``, ``snr_top100``, ``auroc_authors``, ``aupr_authors``,
    ``n_pos``, ``n_neg``, ``mean_pos``, ``mean_neg``, ``reason``; local
    attention adds ``tpr``, ``ppv``, ``ppv_all_labelled``,
    ``ppv_all_instances``, instance counts, ``found``, ``missed``. Also
    ``headline_threshold``, ``null_quantiles`` (q90, q95, q99), ``filters``
    (``n_filters_matched``, ``n_distinct_motifs_matched``, ``motif_scope`` and,
    when it names a scope, :func:`analysis.filter_coverage`'s fields over it:
    every grammar motif for simulated data, the truth-pair motifs for a
    reference set, none without truth), ``classification`` (the run's test metrics), ``scored``,
    ``skip_reason``, ``ground_truth``, ``provenance`` (run, data, data_sha256,
    model, every option, the run's config) and ``versions``.
``interactions.tsv``
    Motif pairs ranked per method at the headline threshold: ``method``,
    ``rank``, ``motif_a``, ``motif_b``, ``score`` (best filter pair; the
    presence correlation for co-occurrence), ``filter_a``, ``filter_b``,
    ``n_filter_pairs``, ``is_true``, ``is_decoy``.
``filters.tsv``
    One row per first-layer filter: ``filter``, ``label`` (grammar motif, q <
    0.05), ``best_motif``, ``qvalue``, ``pvalue``, ``strand``,
    ``information_content`` (bits), ``n_sites``, ``jaspar_match``.
``maps.h5`` (HDF5)
    ``thresholds`` (T,) float; ``threshold_labels`` (T,) str; ``glifac`` (T, F, F)
    symmetrized correlation maps; ``glifac_raw`` (T, F, F), entry [t, f, g] the
    correlation of filter f at the query with filter g at the key;
    ``glifac_random`` (T, F, F) the attention-free control, symmetrized;
    ``cooccurrence`` (M, M) and ``motif_names`` (M,) when placements exist;
    ``attention_histogram`` (2, 100) int: off-diagonal attention values of the
    test sequences (row 0) and of their shuffled null (row 1) in 100 equal bins
    over [0, 1];
    ``local_counts`` (T, F, F) interaction instances, f at the query, g at the
    key; ``filter_ppms`` (F, W, 4) rows A, C, G, T; ``filter_labels`` (F,) str
    ("" = unlabelled). Root attribute ``provenance``: JSON as in scores.json.
    Read it with :func:`read_maps`.
Figures (PNG)
    ``attention_null.png``, ``interaction_map_<method>.png``,
    ``metrics_vs_threshold.png``, ``filter_logos.png``.
``report.html``
    One self-contained page with every table and figure.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from glifac.interpretation.config import METHODS
from simulate.files import atomic_path, atomic_write_json, atomic_write_text, to_jsonable

SCORES_FILE = "scores.json"
MAPS_FILE = "maps.h5"
REPORT_FILE = "report.html"
FIGURES = {
    "attention": "attention_null.png",
    "metrics": "metrics_vs_threshold.png",
    "logos": "filter_logos.png",
    **{f"map_{method}": f"interaction_map_{method}.png" for method in METHODS},
}
# every name interpret writes in its output directory (what --force may replace)
OUTPUT_NAMES = (SCORES_FILE, "interactions.tsv", "filters.tsv", MAPS_FILE, REPORT_FILE, *FIGURES.values())
FILTER_COLUMNS = ["filter", "label", "best_motif", "qvalue", "pvalue", "strand", "information_content", "n_sites",
                  "jaspar_match"]
INTERACTION_COLUMNS = ["method", "rank", "motif_a", "motif_b", "score", "filter_a", "filter_b", "n_filter_pairs",
                       "is_true", "is_decoy"]


def write_outputs(out: Path, analysis, attention, null_attention, ppms, grammar, provenance: dict,
                  classification: dict, seed: int) -> dict:
    """Write every file above into ``out`` and return the summary (what the headline prints).

    Parameters
    ----------
    out : Path
        An existing, empty directory.
    analysis : glifac.interpretation.analyse.Analysis
    attention, null_attention : numpy.ndarray, shape (N, L', L') and (N0, L', L')
        For the attention histogram.
    ppms : numpy.ndarray, shape (F, W, 4)
    grammar : simulate.Grammar or None
    provenance : dict
    classification : dict
        The run's test metrics, copied to scores.json.
    seed : int
        Seeds the subsample drawn for the histogram.
    """
    from glifac.interpretation import plots
    from glifac.interpretation.report import write_report
    from glifac.rundir import package_versions

    a = analysis
    versions = package_versions()
    scores = {
        **a.scores,
        "headline_threshold": a.thresholds[a.headline_index],
        "null_quantiles": a.quantiles,
        "filters": a.coverage,
        "classification": classification,
        "scored": a.scored, "skip_reason": a.skip_reason,
        "ground_truth": [{"motifs": [x, y], "logic": logic} for x, y, logic in a.truth],
        "decoys": [{"motifs": list(pair)} for pair in a.decoys],
        "provenance": provenance,
        "versions": versions,
    }
    atomic_write_json(out / SCORES_FILE, scores)
    write_tsv(out / "filters.tsv", a.filter_rows, FILTER_COLUMNS)
    write_tsv(out / "interactions.tsv",
              [{"method": method, **row} for method, rows in a.interactions.items() for row in rows],
              INTERACTION_COLUMNS)
    save_maps(out / MAPS_FILE, a, ppms, provenance={**provenance, "versions": versions})

    figures = {}
    off_diagonal = ~np.eye(attention.shape[1], dtype=bool)
    rng = np.random.default_rng(seed)
    figures["Attention values: test sequences vs dinucleotide-shuffled null"] = plots.attention_histogram(
        _sample(attention[:, off_diagonal], rng), _sample(null_attention[:, off_diagonal], rng), a.quantiles,
        out / FIGURES["attention"])
    headline_label = a.threshold_labels[a.headline_index]
    if grammar is not None and a.interactions:
        names = grammar.motif_names
        truth = _motif_matrix(names, [{"motif_a": x, "motif_b": y, "score": 1.0} for x, y, _ in a.truth])
        for method, title in METHODS.items():
            if method not in a.interactions:
                continue
            figures[f"Interaction map: {title} (threshold {headline_label})"] = plots.interaction_map(
                _motif_matrix(names, a.interactions[method]), np.nan_to_num(truth), names,
                f"{title}, threshold {headline_label}", out / FIGURES[f"map_{method}"])
    if a.scored:
        figures["AUROC, AUPR and SNR against attention threshold"] = plots.metrics_vs_threshold(
            a.scores, out / FIGURES["metrics"])
    titles = [f"f{f}: {row['label'] or '–'} ({row['information_content']:.1f} bits)"
              for f, row in enumerate(a.filter_rows)]
    figures["First-layer filter logos"] = plots.filter_logos(ppms, titles, out / FIGURES["logos"])

    summary = {**provenance, **{k: classification.get(k) for k in
                                ("test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled")},
               "versions": versions, **headline_summary(scores)}
    write_report(out / REPORT_FILE, summary, scores, a.interactions, a.filter_rows, figures)
    return summary


HEADLINE_KEYS = ("threshold", "auroc", "aupr", "snr", "snr_top100", "tpr", "ppv", "motif_auroc",
                 "motif_auroc_vs_decoys")


def headline_summary(scores: dict) -> dict:
    """``scored``, ``skip_reason``, ``coverage`` and ``headline`` (one row per method at the
    headline threshold) from the contents of ``scores.json``."""
    headline = []
    if scores.get("scored"):
        for method, rows in scores.items():
            if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "threshold_label" in rows[0]:
                row = next((r for r in rows if r["threshold"] == scores["headline_threshold"]), rows[0])
                headline.append({"method": method, **{k: row.get(k) for k in HEADLINE_KEYS}})
    return {"scored": scores.get("scored"), "skip_reason": scores.get("skip_reason"),
            "coverage": scores.get("filters", {}), "headline": headline}


def write_tsv(path: Path, rows: list[dict], columns: list[str]) -> None:
    """Tab-separated table with a header; None and NaN as empty cells, floats to 6 significant digits."""

    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    lines = ["\t".join(columns)] + ["\t".join(cell(row.get(c)) for c in columns) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def save_maps(path: Path, analysis, ppms, provenance: dict) -> None:
    """Write ``maps.h5`` (layout in the module docstring)."""
    import h5py

    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            f["thresholds"] = np.asarray(analysis.thresholds, dtype=float)
            f["threshold_labels"] = np.array(analysis.threshold_labels, dtype=h5py.string_dtype())
            f["glifac"] = analysis.glifac.maps
            f["glifac_raw"] = analysis.glifac.raw
            f["local_counts"] = analysis.local.counts
            f["glifac_random"] = analysis.maps["glifac_random"]
            if analysis.cooccurrence is not None:
                f["cooccurrence"] = analysis.cooccurrence
                f["motif_names"] = np.array(analysis.motif_names, dtype=h5py.string_dtype())
            f["attention_histogram"] = analysis.attention_histogram
            f["filter_ppms"] = ppms
            f["filter_labels"] = np.array([label or "" for label in analysis.labels], dtype=h5py.string_dtype())
            f.attrs["provenance"] = json.dumps(to_jsonable(provenance))


def read_maps(path) -> dict:
    """Read ``maps.h5`` into a dict of arrays (``filter_labels`` as str or None) plus ``provenance`` (dict)."""
    import h5py

    from simulate.errors import InputError

    try:
        handle = h5py.File(path, "r")
    except OSError:
        raise InputError(f"{path} is not an HDF5 file") from None
    with handle as f:
        out = {key: f[key][()] for key in f}
        for key in ("threshold_labels", "motif_names"):
            if key in out:
                out[key] = [v.decode() if isinstance(v, bytes) else str(v) for v in out[key]]
        out["filter_labels"] = [(v.decode() if isinstance(v, bytes) else str(v)) or None
                                for v in out["filter_labels"]]
        out["provenance"] = json.loads(f.attrs["provenance"])
    return out


def _sample(values: np.ndarray, rng, size: int = 2_000_000) -> np.ndarray:
    """At most ``size`` values for a histogram (drawn with replacement: no N-long permutation)."""
    values = values.ravel()
    return values if values.size <= size else values[rng.integers(0, values.size, size)]


def _motif_matrix(names: list[str], rows: list[dict]) -> np.ndarray:
    """Symmetric (M, M) matrix of motif-pair scores (NaN where absent)."""
    index = {name: k for k, name in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    for row in rows:
        x, y = index.get(row["motif_a"]), index.get(row["motif_b"])
        if x is not None and y is not None and row["score"] is not None:
            matrix[x, y] = matrix[y, x] = row["score"]
    return matrix
