"""Figures of the interpretation report (PNG, matplotlib's Agg backend).

Each function takes plain arrays, writes one PNG atomically and returns its path.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from glifac.interpretation.config import METHODS
from simulate.files import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return Path(path)


def attention_histogram(real: np.ndarray, null: np.ndarray, quantiles: dict, path) -> Path:
    """Distribution of attention values on real vs dinucleotide-shuffled sequences (paper Fig. 1a-b).

    Parameters
    ----------
    real, null : numpy.ndarray
        Attention values (any shape; flattened), off-diagonal entries only.
    quantiles : dict
        ``{"q90": value, ...}`` of the null, drawn as vertical lines.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    bins = np.linspace(0.0, max(float(np.max(real)), float(np.max(null)), 1e-6), 60)
    ax.hist(np.ravel(real), bins=bins, alpha=0.6, label="test sequences", color="tab:blue", density=True)
    ax.hist(np.ravel(null), bins=bins, alpha=0.6, label="dinucleotide-shuffled null", color="tab:gray",
            density=True)
    for (name, value), style in zip(sorted(quantiles.items()), (":", "--", "-")):
        ax.axvline(value, color="k", linestyle=style, linewidth=1, label=f"null {name} = {value:.3f}")
    ax.set_yscale("log")
    ax.set_xlabel("attention (max over heads)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return _save(fig, path)


def interaction_map(scores: np.ndarray, truth: np.ndarray, names: list[str], title: str, path) -> Path:
    """Motif x motif interaction map: the method's scores below the diagonal, truth above (Fig. 2).

    Parameters
    ----------
    scores : numpy.ndarray, shape (M, M)
        Symmetric motif-level scores (NaN where no filter pair maps to the motif pair).
    truth : numpy.ndarray, shape (M, M)
        1 for ground-truth interacting motif pairs, else 0.
    names : list of str, length M
    """
    plt = _pyplot()
    m = len(names)
    lower = np.tril(np.ones((m, m), dtype=bool), k=-1)
    upper = np.triu(np.ones((m, m), dtype=bool), k=1)
    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    shown = np.where(lower, scores, np.nan)
    finite = shown[np.isfinite(shown)]
    vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    image = ax.imshow(shown, cmap="viridis", vmin=min(0.0, float(finite.min()) if finite.size else 0.0),
                      vmax=vmax or 1.0)
    ax.imshow(np.where(upper, truth, np.nan), cmap="Reds", vmin=0, vmax=1.4)
    ax.set_xticks(range(m), names, rotation=90, fontsize=8)
    ax.set_yticks(range(m), names, fontsize=8)
    ax.set_title(f"{title}\nlower: learned (best filter pair), upper: ground truth", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return _save(fig, path)


def metrics_vs_threshold(rows: dict[str, list[dict]], path) -> Path:
    """AUROC, AUPR and SNR against attention threshold for each method (Figs. 3, 5).

    Parameters
    ----------
    rows : dict
        Method key -> ``[{"threshold", "auroc", "aupr", "snr"}, ...]`` (scores.json rows).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for method, method_rows in rows.items():
        if all(r.get("auroc") is None for r in method_rows):
            continue  # a motif-level method (co-occurrence) has no filter-level scores
        t = [r["threshold"] for r in method_rows]
        for ax, key in zip(axes, ("auroc", "aupr", "snr")):
            values = [np.nan if r.get(key) is None else r[key] for r in method_rows]
            ax.plot(t, values, marker="o", label=METHODS.get(method, method))
    for ax, key in zip(axes, ("AUROC", "AUPR (average precision)", "SNR (z-score)")):
        ax.set_xlabel("attention threshold")
        ax.set_title(key, fontsize=10)
    axes[0].set_ylim(0, 1.02)
    axes[1].set_ylim(0, 1.02)
    axes[0].legend(fontsize=8)
    return _save(fig, path)


def filter_logos(ppms: np.ndarray, titles: list[str], path, columns: int = 4) -> Path:
    """Information-content logos of first-layer filters (logomaker).

    Parameters
    ----------
    ppms : numpy.ndarray, shape (F, W, 4)
        Rows A, C, G, T.
    titles : list of str, length F
    """
    import logomaker
    import pandas as pd

    plt = _pyplot()
    n = len(ppms)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 1.3 * rows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.axis("off")
            continue
        ppm = np.clip(np.asarray(ppms[k], dtype=float), 1e-9, 1)
        ic = ppm * (2 + (ppm * np.log2(ppm)).sum(axis=1, keepdims=True))
        with warnings.catch_warnings():  # a filter with no sites has an all-zero logo
            warnings.simplefilter("ignore", UserWarning)
            logomaker.Logo(pd.DataFrame(ic, columns=list("ACGT")), ax=ax, show_spines=False)
        ax.set_ylim(0, 2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
