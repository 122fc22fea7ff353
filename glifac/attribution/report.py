"""The attribution report: ``report.html`` (the method x task table) and ``examples.png`` (logos).

One self-contained page, styled like interpretation's report: the scores of
every method on every task, then sequence logos (logomaker) of one example
sequence per task, one row per method, with the planted instances that make
its label shaded.
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from glifac.interpretation.report import _STYLE, _image, _table
from simulate.files import atomic_path, atomic_write_text

EXAMPLES_FILE = "examples.png"


def write_examples(path: Path, maps: dict, masks: dict) -> bool:
    """Logos of the first explained sequence of each task; ``maps``: task -> method -> (n, L, 4);
    ``masks``: task -> (n, L) bool or None. Returns False when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    panels = [(task, method, values[0], (masks.get(task) if masks.get(task) is not None else None))
              for task, by_method in maps.items() for method, values in by_method.items() if len(values)]
    if not panels:
        return False
    fig, axes = plt.subplots(len(panels), 1, figsize=(14, 1.25 * len(panels)), squeeze=False)
    for ax, (task, method, values, mask) in zip(axes[:, 0], panels):
        logomaker.Logo(pd.DataFrame(values, columns=list("ACGT")), ax=ax, show_spines=False)
        if mask is not None:
            for start, stop in _runs(mask[0]):
                ax.axvspan(start - 0.5, stop - 0.5, color="#f2c14e", alpha=0.3, lw=0)
        ax.set_ylabel(f"{task}\n{method}", fontsize=7, rotation=0, ha="right", va="center")
        ax.set_xticks([])
        ax.tick_params(labelsize=6)
    fig.suptitle("attribution of the first explained sequence per task (shaded: planted instances that make "
                 "the label)", fontsize=9)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return True


def _runs(flags):
    """``[(start, stop)]`` of the True runs of a boolean vector."""
    edges = np.diff(np.r_[0, np.asarray(flags, int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def write_report(path: Path, summary: dict, examples: Path | None) -> None:
    """``report.html``: the method x task table, what was skipped, the example logos."""
    rows = []
    for task, by_method in summary["tasks"].items():
        for method, row in by_method.items():
            test = row.get("mutagenesis_test") or {}
            interval = test.get("drop_random_interval")
            rows.append({
                "task": task, "method": method,
                "auroc": (row.get("auroc") or {}).get("mean"), "aupr": (row.get("aupr") or {}).get("mean"),
                "area": row["faithfulness"]["area_between"], "drop": test.get("drop_top"),
                "random": None if interval is None else f"{interval[0]:.3f} to {interval[1]:.3f}",
                "gini": row["gini"]["mean"], "entropy": row["entropy"]["mean"],
                "gap": (row.get("completeness_gap") or {}).get("mean"),
            })
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Attribution</title><style>{_STYLE}</style>"
             "</head><body><h1>Attribution maps, scored</h1>",
             f"<p class='note'>Run {html.escape(str(summary['provenance']['run']))}; data "
             f"{html.escape(str(summary['provenance']['data']))}.</p>",
             "<h2>Scores</h2>",
             "<p class='note'>AUROC / AUPR: per positive sequence, position scores against the planted instances "
             "that make the label (mean). Faithfulness: area between the most- and least-important-first "
             "perturbation curves. Mutagenesis: drop in the task's AUPR when the top 10% of positions are "
             "mutated, and the 95% interval of the drop for random 10%.</p>",
             _table(rows, [("task", "task"), ("method", "method"), ("auroc", "AUROC"), ("aupr", "AUPR"),
                           ("area", "faithfulness area"), ("drop", "top-10% AUPR drop"),
                           ("random", "random 10% (95%)"), ("gini", "Gini"), ("entropy", "entropy"),
                           ("gap", "IG completeness gap")], left=("task", "method", "random"))]
    attention = summary.get("attention")
    if attention:
        parts.append(
            f"<p>Attention ({html.escape(str(attention['layer']))}, {attention['n_sequences']} test sequences): "
            f"normalised row entropy {attention['normalised_entropy']:.3f} (1 = uniform), mean largest weight "
            f"{attention['max_weight']:.3f} against {attention['uniform_weight']:.3f} for uniform rows over "
            f"{attention['positions']} positions. Attention-aware LRP differs from gradient x input by the "
            "gradient through these weights; rollout of near-uniform attention is near flat.</p>")
    if summary["skipped"]:
        parts.append("<h2>Not scored</h2><ul>" + "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>"
                                                         for k, v in summary["skipped"].items()) + "</ul>")
    if examples is not None and examples.is_file():
        parts += ["<h2>Examples</h2>", _image(examples, "attribution logos")]
    parts.append("</body></html>")
    atomic_write_text(path, "\n".join(parts))
