# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fig. 5: GLIFAC against the attention threshold
# GLIFAC AUROC, AUPR and SNR at thresholds 0.1–0.9 (mean over seeds per model); dashed: the same
# correlation over random position pairs only (no attention), GLIFAC's control.

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from glifac.sweep.figures import Notebook, activation_colour, verdict

nb = Notebook("fig5", scale, sweep_root, out, run_missing)
paper, cells, models = nb.complete("paper")
scores = paper.scores.merge(cells[["cell_id", "model", "seed"]], on="cell_id")
scores = scores[~scores.threshold_label.str.startswith("null") & (scores.threshold >= 0.1 - 1e-9)]

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
ranges = {}
for ax, key in zip(axes, ("auroc", "aupr", "snr")):
    for m in models:
        for method, style in (("glifac", "-"), ("glifac_random", ":")):
            curve = scores[(scores.model == m) & (scores.method == method)].groupby("threshold")[key].mean()
            ax.plot(curve.index, curve.values, style, color=activation_colour(m), marker="o", markersize=3,
                    label=m if method == "glifac" else None)
            nb.number(f"{key}/{method}/{m}", {f"{t:g}": v for t, v in curve.items()})
            if method == "glifac" and key == "auroc" and curve.notna().any():
                ranges[m] = float(np.nanmax(curve.values) - np.nanmin(curve.values))
    ax.set_xlabel("attention threshold")
    ax.set_title(f"GLIFAC {key.upper()} (dotted: without attention)", fontsize=10)
axes[0].legend(fontsize=7)
nb.save(fig, "fig5_glifac_vs_threshold.png")

# %%
nb.finding("GLIFAC is robust across thresholds",
           verdict(None if not ranges else max(ranges.values()) < 0.05),
           {"AUROC range over thresholds 0.1-0.9, per model": ranges}, len(paper.grid["seeds"]))
