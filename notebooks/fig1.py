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
# # Fig. 1: attention values and local attention
# (a) Distributions of attention values on test sequences per model; (b) the same on
# dinucleotide-shuffled sequences with each model's 0.05 significance cutoff (the null's 95% quantile);
# (c) local-attention TPR and (d) PPV per model at threshold 0.1, boxes over seeds
# (exponential models green, ReLU blue, as in the paper).

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

from glifac.sweep.figures import Notebook, activation_colour, boxes, mean, verdict

nb = Notebook("fig1", scale, sweep_root, out, run_missing)
paper, cells, models = nb.complete("paper")

# %%
edges = np.linspace(0, 1, 101)
centres = (edges[:-1] + edges[1:]) / 2
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for model in models:
    hist, q95 = np.zeros((2, 100)), []
    for cell_id in cells[cells.model == model].cell_id:
        hist += paper.maps(cell_id)["attention_histogram"]
        q95.append(paper.scores_json(cell_id)["null_quantiles"]["q95"])
    style = "-" if "20" in model else "--"
    for k, ax in enumerate(axes):
        density = hist[k] / max(hist[k].sum(), 1) / (edges[1] - edges[0])
        ax.plot(centres, density + 1e-6, style, color=activation_colour(model), label=model)
    axes[1].axvline(np.mean(q95), color=activation_colour(model), linestyle=":", linewidth=1)
    nb.number(f"null_q95/{model}", float(np.mean(q95)))
    nb.number(f"attention_mean/{model}", float((hist[0] * centres).sum() / max(hist[0].sum(), 1)))
for ax, title in zip(axes, ("(a) test sequences", "(b) dinucleotide-shuffled, dotted: null q95")):
    ax.set_yscale("log")
    ax.set_xlabel("attention value (max over heads)")
    ax.set_title(title, fontsize=10)
axes[0].set_ylabel("density")
axes[0].legend(fontsize=7)
nb.save(fig, "fig1ab_attention_distributions.png")

# %%
local = paper.scores[(paper.scores.method == "local") & (paper.scores.threshold_label == "0.1")]
local = local.merge(cells[["cell_id", "model", "seed"]], on="cell_id")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, key, title in zip(axes, ("tpr", "ppv"), ("(c) local attention TPR, t = 0.1", "(d) PPV, t = 0.1")):
    groups = {m: local[local.model == m][key].tolist() for m in models}
    boxes(ax, groups, ylabel=key.upper())
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title, fontsize=10)
    for m, values in groups.items():
        nb.number(f"{key}/{m}", values)
nb.save(fig, "fig1cd_local_attention_tpr_ppv.png")

# %%
tpr, ppv = mean(local.tpr), mean(local.ppv)
nb.finding("local attention finds the true pairs (TPR near 1) with low PPV",
           verdict(None if tpr is None else tpr >= 0.9, None if ppv is None else ppv < 0.5),
           {"mean TPR at t=0.1": tpr, "mean PPV at t=0.1": ppv, "cells": int(len(local))},
           seeds=len(paper.grid["seeds"]))
