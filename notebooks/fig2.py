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
# # Fig. 2: interaction maps, and local attention against GLIFAC
# (a) The aggregated local-attention map and (b) the GLIFAC map of one ReLU model (the paper shows
# CNN40-ReLU; here the ReLU preset with the largest pool), motif pairs scored by their best filter pair,
# ground truth in the upper triangle. (c–e) AUPR, AUROC and SNR of local attention and GLIFAC per model
# at threshold 0.1, boxes over seeds, beside GLIFAC's attention-free control; (f) every method's
# motif-pair AUROC, with the model-free co-occurrence of the motifs.

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
import pandas as pd

from glifac.sweep.figures import METHOD_COLOURS, Notebook, boxes, mean, verdict

nb = Notebook("fig2", scale, sweep_root, out, run_missing)
paper, cells, models = nb.complete("paper")
at = paper.scores[paper.scores.threshold_label == "0.1"].merge(cells[["cell_id", "model", "seed"]], on="cell_id")

# %%
relu = [m for m in models if "-ReLU" in m and "Norm" not in m]
chosen = max(relu or models, key=lambda m: int("".join(c for c in m.split("-")[0] if c.isdigit()) or 0))
cell_id = cells[cells.model == chosen].sort_values("seed").cell_id.iloc[0]
pairs = pd.read_csv(paper.run_dir(cell_id) / "interpret" / "interactions.tsv", sep="\t")
names = sorted(set(pairs.motif_a) | set(pairs.motif_b))
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, method, title in zip(axes, ("local", "glifac"), ("(a) local attention (counts)", "(b) GLIFAC")):
    rows = pairs[pairs.method == method]
    matrix = np.full((len(names), len(names)), np.nan)
    for r in rows.itertuples():
        a, b = sorted((names.index(r.motif_a), names.index(r.motif_b)), reverse=True)
        matrix[a, b] = r.score  # lower triangle: learned
        matrix[b, a] = float(r.is_true)  # upper triangle: ground truth
    image = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_title(f"{title}, {chosen} seed 0", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.7)
    nb.number(f"map/{method}/n_pairs", int(len(rows)))
nb.save(fig, "fig2ab_interaction_maps.png")

# %%
methods = ["local", "glifac", "glifac_random"]
fig, axes = plt.subplots(1, 4, figsize=(18, 3.8))
for ax, key, title in zip(axes[:3], ("aupr", "auroc", "snr"), ("(c) AUPR", "(d) AUROC", "(e) SNR (z-score)")):
    groups, colours = {}, {}
    for m in models:
        for method in methods:
            label = f"{m} {method}"
            groups[label] = at[(at.model == m) & (at.method == method)][key].tolist()
            colours[label] = METHOD_COLOURS[method]
            nb.number(f"{key}/{method}/{m}", groups[label])
    boxes(ax, groups, colours)
    ax.set_title(f"{title}, t = 0.1", fontsize=10)
groups, colours = {}, {}
for m in models:
    for method in methods + ["cooccurrence"]:
        label = f"{m} {method}"
        groups[label] = at[(at.model == m) & (at.method == method)]["motif_auroc"].tolist()
        colours[label] = METHOD_COLOURS[method]
        nb.number(f"motif_auroc/{method}/{m}", groups[label])
boxes(axes[3], groups, colours)
axes[3].set_title("(f) motif-pair AUROC, t = 0.1", fontsize=10)
fig.suptitle("purple: local attention; red: GLIFAC; pink: GLIFAC without attention (random pairs); "
             "brown: motif co-occurrence, no model. Empty: no attended pair at t = 0.1", fontsize=9, y=1.02)
nb.save(fig, "fig2cdef_local_vs_glifac.png")

# %%
def per_model(method, key):
    return {m: mean(at[(at.model == m) & (at.method == method)][key]) for m in models}


seeds = len(paper.grid["seeds"])


def all_better(better, worse):
    """True when ``better`` beats ``worse`` for every model where both were measured (None: no such model)."""
    measured = [m for m in models if better.get(m) is not None and worse.get(m) is not None]
    return None if not measured else all(better[m] > worse[m] for m in measured)


local_auroc, glifac_snr, local_snr = mean(at[at.method == "local"].auroc), per_model("glifac", "snr"), \
    per_model("local", "snr")
nb.finding("aggregating local attention helps but leaves a low SNR",
           verdict(None if local_auroc is None else local_auroc > 0.7, all_better(glifac_snr, local_snr)),
           {"mean local AUROC (aggregated map)": local_auroc, "local SNR": local_snr, "GLIFAC SNR": glifac_snr},
           seeds)
wins = {key: all_better(per_model("glifac", key), per_model("local", key)) for key in ("auroc", "aupr", "snr")}
nb.finding("GLIFAC beats local attention on AUROC, AUPR and SNR for every model", verdict(*wins.values()),
           {f"GLIFAC > local for every measured model on {k}": v for k, v in wins.items()}, seeds)
g_motif, co_motif = mean(at[at.method == "glifac"].motif_auroc), mean(at[at.method == "cooccurrence"].motif_auroc)
g_filter, r_filter = mean(at[at.method == "glifac"].auroc), mean(at[at.method == "glifac_random"].auroc)
nb.finding("with the controls, GLIFAC's recovery exceeds what co-occurrence alone gives (paper grammar)",
           verdict(None if None in (g_motif, co_motif) else g_motif > co_motif + 0.02,
                   None if None in (g_filter, r_filter) else g_filter > r_filter + 0.02),
           {"GLIFAC motif-pair AUROC": g_motif, "co-occurrence motif-pair AUROC": co_motif,
            "GLIFAC filter-pair AUROC": g_filter, "without attention": r_filter}, seeds)
