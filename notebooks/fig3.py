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
# # Fig. 3: local attention against the attention threshold
# TPR and PPV of local attention at thresholds 0.0–0.9 (mean ± sd over seeds per model), and at the
# threshold set by the dinucleotide-shuffled null's 95% quantile (markers).

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from glifac.sweep.figures import Notebook, activation_colour, mean, verdict

nb = Notebook("fig3", scale, sweep_root, out, run_missing)
paper, cells, models = nb.complete("paper")
local = paper.scores[paper.scores.method == "local"].merge(cells[["cell_id", "model", "seed"]], on="cell_id")
fixed = local[~local.threshold_label.str.startswith("null")]
null95 = local[local.threshold_label.str.startswith("null q95")]

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, key in zip(axes, ("tpr", "ppv")):
    for m in models:
        curve = fixed[fixed.model == m].groupby("threshold")[key].agg(["mean", "std"]).reset_index()
        ax.errorbar(curve.threshold, curve["mean"], yerr=curve["std"].fillna(0), color=activation_colour(m),
                    label=m, marker="o", markersize=3, linestyle="-" if "20" in m else "--", capsize=2)
        at_null = null95[null95.model == m]
        if len(at_null):
            ax.scatter(at_null.threshold, at_null[key], color=activation_colour(m), marker="*", s=60, zorder=3)
        nb.number(f"{key}/{m}", {f"{t:g}": v for t, v in zip(curve.threshold, curve["mean"])})
        nb.number(f"{key}_at_null_q95/{m}", at_null[key].tolist())
    ax.set_xlabel("attention threshold (stars: the null's 95% quantile)")
    ax.set_ylabel(key.upper())
    ax.set_ylim(-0.02, 1.02)
axes[0].legend(fontsize=7)
nb.save(fig, "fig3_local_attention_vs_threshold.png")

# %%
ppv_fixed = mean(fixed[fixed.threshold == 0.1].ppv)
ppv_null = mean(null95.ppv)
nb.finding("the null-quantile threshold does not improve local attention",
           verdict(None if None in (ppv_fixed, ppv_null) else ppv_null < ppv_fixed + 0.05),
           {"mean PPV at t = 0.1": ppv_fixed, "mean PPV at the null's q95": ppv_null},
           len(paper.grid["seeds"]))
