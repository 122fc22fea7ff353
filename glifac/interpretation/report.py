"""``report.html``: one self-contained page (figures embedded) summarising an interpretation."""
from __future__ import annotations

import base64
import html
import math
from pathlib import Path

from glifac.interpretation.config import METHODS
from simulate.files import atomic_write_text

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .6em;
text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}tr.true td{background:#e8f6e8}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}.note{color:#555;font-size:.9em}
.warn{background:#fff4e0;border:1px solid #f0c070;padding:.5em 1em}
"""


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _table(rows: list[dict], columns: list[tuple[str, str]], left=(), highlight: str | None = None) -> str:
    head = "".join(f'<th class="{"l" if key in left else ""}">{html.escape(title)}</th>' for key, title in columns)
    body = []
    for row in rows:
        cls = ' class="true"' if highlight and row.get(highlight) else ""
        cells = "".join(
            f'<td class="{"l" if key in left else ""}">{_fmt(row.get(key))}</td>' for key, _ in columns
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def write_report(path, summary: dict, scores: dict, interactions: dict, filters: list[dict],
                 figures: dict[str, Path]) -> Path:
    """Write ``report.html``.

    Parameters
    ----------
    path : Path
    summary : dict
        ``run``, ``data``, ``model``, ``n_sequences``, ``seed``, ``versions``,
        ``test_auroc``, ``test_aupr``, ``headline`` (list of rows), ``scored`` (bool),
        ``skip_reason``.
    scores : dict
        ``scores.json`` content: ``glifac`` and ``local`` rows per threshold.
    interactions : dict
        ``{"glifac": rows, "local": rows}`` motif-pair rankings at the headline threshold.
    filters : list of dict
        One row per filter (``filters.tsv``).
    figures : dict
        Caption -> PNG path, in display order.
    """
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>glifac report</title>"
             f"<style>{_STYLE}</style></head><body>"]
    parts.append("<h1>glifac interpretation report</h1>")
    parts.append(
        "<p class='note'>"
        f"Run <code>{html.escape(str(summary['run']))}</code> · model {html.escape(str(summary['model']))} · "
        f"data <code>{html.escape(str(summary['data']))}</code> · {summary['n_sequences']:,} test sequences · "
        f"seed {summary['seed']} · glifac {html.escape(str(summary['versions'].get('glifac')))}</p>"
    )
    parts.append("<h2>Summary</h2>")
    if summary.get("test_auroc") is not None:
        pooled = ""
        if summary.get("test_auroc_pooled") is not None:
            pooled = (f"; over all labels pooled, as the paper reports it (keras.metrics.AUC): AUROC "
                      f"{_fmt(summary['test_auroc_pooled'])}, AUPR {_fmt(summary['test_aupr_pooled'])}")
        parts.append(f"<p>Model test AUROC {_fmt(summary['test_auroc'])}, "
                     f"AUPR {_fmt(summary['test_aupr'])} (macro means over tasks){pooled}.</p>")
    if not summary["scored"]:
        parts.append(f"<p class='warn'>Scoring skipped: {html.escape(summary['skip_reason'])}. "
                     "Maps, rankings and figures are still shown.</p>")
    else:
        headline = [{**row, "method": METHODS.get(row["method"], row["method"])} for row in summary["headline"]]
        parts.append(_table(headline, [
            ("method", "method"), ("threshold", "threshold"), ("auroc", "AUROC"), ("aupr", "AUPR (AP)"),
            ("snr", "SNR (z)"), ("snr_top100", "SNR top-100"), ("tpr", "TPR"), ("ppv", "PPV"),
            ("motif_auroc", "motif-pair AUROC"), ("motif_auroc_vs_decoys", "AUROC vs decoys"),
        ], left=("method",)))
        parts.append("<p class='note'>Read GLIFAC with its controls. <b>GLIFAC without attention</b> correlates "
                     "filters over random position pairs of the same sequences only; <b>motif co-occurrence</b> "
                     "correlates the planted motifs' presence across sequences, with no model at all. Where a "
                     "control scores as high as GLIFAC, the score shows that the interacting motifs occur "
                     "together, not that the model learned their interaction. <b>AUROC vs decoys</b> ranks the "
                     "true pairs against decoy pairs only: pairs the simulator places together exactly as often "
                     "but that do not interact (blank when the grammar has none).</p>")
        parts.append(_coverage_paragraph(summary.get("coverage", {}), len(filters)))
        parts.append("<p class='note'>AUROC and AUPR (average precision) rank filter pairs labelled with two "
                     "different grammar motifs; positives are the grammar's interacting pairs. SNR (z) = "
                     "(mean positive − mean negative) / sd(negative); SNR top-100 is the authors' variant. "
                     "Local-attention scores rank the instance-count map.</p>")
    for caption, figure in figures.items():
        parts.append(f"<h2>{html.escape(caption)}</h2>{_image(figure, caption)}")
    if any(scores.get(method) for method in METHODS):
        parts.append("<h2>Scores per threshold</h2>")
        for method, title in METHODS.items():
            columns = [("threshold", "threshold"), ("n_pairs", "attended pairs"), ("auroc", "AUROC"),
                       ("aupr", "AUPR (AP)"), ("aupr_trapezoid", "AUPR (trapezoid)"), ("snr", "SNR (z)"),
                       ("snr_top100", "SNR top-100")]
            if method == "local":
                columns += [("tpr", "TPR"), ("ppv", "PPV")]
            columns += [("motif_auroc", "motif-pair AUROC"), ("motif_auroc_vs_decoys", "AUROC vs decoys")]
            if not scores.get(method):
                continue
            parts.append(f"<h3>{html.escape(title)}</h3>")
            parts.append(_table(scores[method], columns))
    for method, rows in interactions.items():
        title = METHODS.get(method, method)
        parts.append(f"<h2>Ranked motif interactions: {title}</h2>")
        parts.append("<p class='note'>Each motif pair scored by its best filter pair; ground-truth pairs "
                     "highlighted.</p>")
        parts.append(_table(rows[:30], [("rank", "rank"), ("motif_a", "motif A"), ("motif_b", "motif B"),
                                        ("score", "score"), ("filter_a", "filter A"), ("filter_b", "filter B"),
                                        ("is_true", "ground truth"), ("is_decoy", "decoy")],
                            left=("motif_a", "motif_b"), highlight="is_true"))
    parts.append("<h2>Filters</h2>")
    parts.append(_table(filters, [("filter", "filter"), ("label", "match"), ("qvalue", "q-value"),
                                  ("pvalue", "p-value"), ("information_content", "IC (bits)"),
                                  ("n_sites", "sites"), ("jaspar_match", "best JASPAR hit")],
                        left=("label", "jaspar_match")))
    versions = ", ".join(f"{k} {v}" for k, v in summary["versions"].items() if v)
    parts.append(f"<p class='note'>Versions: {html.escape(versions)}</p></body></html>")
    return atomic_write_text(path, "\n".join(parts))


def _coverage_paragraph(coverage: dict, n_filters: int) -> str:
    """One line on filter matches; coverage over the scope the analysis chose (none for a bare reference set)."""
    scope = coverage.get("motif_scope", "grammar motifs")
    kind = "grammar" if scope == "grammar motifs" else "reference"
    line = f"Filters matched to a {kind} motif: {coverage.get('n_filters_matched', 0)} of {n_filters}"
    if "n_distinct_motifs_matched" in coverage:
        line += f" ({coverage['n_distinct_motifs_matched']} distinct motifs)"
    if scope is None or "coverage" not in coverage:
        return f"<p>{line}.</p>"
    missing = html.escape(", ".join(coverage.get("missing_motifs", [])) or "none")
    return f"<p>{line}; {html.escape(scope)} covered: {_fmt(coverage['coverage'])} (missing: {missing}).</p>"
