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
# # Fig. 6: the Appendix E design search
# For each setting varied one at a time around the CNN10 bases: classification AUPR and GLIFAC AUROC,
# AUPR and SNR at threshold 0.1, exponential (green) against ReLU (blue), mean ± sd over seeds. Cells
# equal to the base are drawn at the base's value on every axis.

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from glifac.sweep import load_grid
from glifac.sweep.figures import GRIDS, Notebook, activation_colour, mean, verdict

nb = Notebook("fig6", scale, sweep_root, out, run_missing)
design = nb.results("design")
grid = load_grid(GRIDS[scale]["design"])
cells = design.complete().merge(
    design.scores[(design.scores.method == "glifac") & (design.scores.threshold_label == "0.1")][
        ["cell_id", "auroc", "aupr", "snr"]], on="cell_id", how="left")


def base_label(axis, cell_id):
    """The axis value a base cell has (its settings match that value's)."""
    config = design.cell(cell_id).model_config
    for value in grid.axes[axis]:
        if all(config.get(k) == v for k, v in value.model.items()):
            return value.label
    return None


rows = []
for row in cells.itertuples():
    labels = {a: getattr(row, f"axis_{a}", None) for a in grid.axes}
    labels = {a: (None if pd.isna(v) else v) for a, v in labels.items()}
    is_base = all(v is None for v in labels.values())
    for axis in grid.axes:
        label = base_label(axis, row.cell_id) if is_base else labels[axis]
        if label is not None:
            rows.append({"axis": axis, "value": label, "model": row.model, "test_aupr": row.test_aupr,
                         "glifac_auroc": row.auroc, "glifac_aupr": row.aupr, "glifac_snr": row.snr})

# %%
metrics = ("test_aupr", "glifac_auroc", "glifac_aupr", "glifac_snr")
fig, axes = plt.subplots(len(grid.axes), len(metrics), figsize=(15, 2.6 * len(grid.axes)), squeeze=False)
summary = {}
for i, axis in enumerate(grid.axes):
    order = [v.label for v in grid.axes[axis]]
    for j, metric in enumerate(metrics):
        ax = axes[i][j]
        for model in grid.models:
            means = [mean([r[metric] for r in rows if r["axis"] == axis and r["value"] == v and r["model"] == model])
                     for v in order]
            ax.plot(range(len(order)), [float("nan") if m is None else m for m in means], marker="o",
                    color=activation_colour(model), label=model)
            summary[(axis, metric, model)] = dict(zip(order, means))
            nb.number(f"{axis}/{metric}/{model}", dict(zip(order, means)))
        ax.set_xticks(range(len(order)), order, fontsize=8)
        ax.set_title(f"{axis}: {metric}", fontsize=9)
axes[0][0].legend(fontsize=7)
fig.tight_layout()
nb.save(fig, "fig6_design_search.png")


# %%
def axis_mean(axis, metric, value, models=None):
    return mean([r[metric] for r in rows if r["axis"] == axis and r["value"] == value
                 and (models is None or r["model"] in models)])


def compare(a, b, more=True, margin=0.0):
    if a is None or b is None:
        return None
    return a > b + margin if more else a < b - margin


seeds = len(grid.seeds)
exp = [m for m in grid.models if "-Exp" in m]
relu = [m for m in grid.models if "-ReLU" in m]
g_exp = mean([r["glifac_auroc"] for r in rows if r["model"] in exp])
g_relu = mean([r["glifac_auroc"] for r in rows if r["model"] in relu])
nb.finding("exponential activations score at least as well as ReLU on GLIFAC",
           verdict(None if None in (g_exp, g_relu) else g_exp >= g_relu - 0.01),
           {"GLIFAC AUROC, exp": g_exp, "ReLU": g_relu}, seeds)


def ends(axis):
    values = [v.label for v in grid.axes.get(axis, ())]
    return (values[0], values[-1]) if len(values) >= 2 else (None, None)


lo, hi = ends("pool_size")
nb.finding("larger pooling helps GLIFAC",
           verdict(compare(axis_mean("pool_size", "glifac_auroc", hi), axis_mean("pool_size", "glifac_auroc", lo))),
           {f"GLIFAC AUROC, pool {lo}": axis_mean("pool_size", "glifac_auroc", lo),
            f"pool {hi}": axis_mean("pool_size", "glifac_auroc", hi)}, seeds)
if "normalization" in grid.axes:
    none = axis_mean("normalization", "glifac_auroc", "none")
    nb.finding("batch and layer normalization hurt GLIFAC",
               verdict(compare(none, axis_mean("normalization", "glifac_auroc", "BN")),
                       compare(none, axis_mean("normalization", "glifac_auroc", "LN"))),
               {v.label: axis_mean("normalization", "glifac_auroc", v.label) for v in grid.axes["normalization"]},
               seeds)
lo, hi = ends("num_heads")
nb.finding("fewer heads give more interpretable maps",
           verdict(compare(axis_mean("num_heads", "glifac_auroc", lo), axis_mean("num_heads", "glifac_auroc", hi))),
           {f"GLIFAC AUROC, {lo} head(s)": axis_mean("num_heads", "glifac_auroc", lo),
            f"{hi} heads": axis_mean("num_heads", "glifac_auroc", hi)}, seeds)
keys = {v.label: axis_mean("key_dim", "glifac_auroc", v.label) for v in grid.axes.get("key_dim", ())}
spread = None if not keys or None in keys.values() else max(keys.values()) - min(keys.values())
nb.finding("key size has little effect on GLIFAC", verdict(None if spread is None else spread < 0.05),
           {"GLIFAC AUROC by key size": keys}, seeds)
lo, hi = ends("dense_units")
nb.finding("smaller dense layers slightly help GLIFAC but lower classification AUPR",
           verdict(compare(axis_mean("dense_units", "glifac_auroc", lo), axis_mean("dense_units", "glifac_auroc", hi),
                           margin=-0.005),
                   compare(axis_mean("dense_units", "test_aupr", lo), axis_mean("dense_units", "test_aupr", hi),
                           more=False)),
           {f"dense {lo}: GLIFAC AUROC": axis_mean("dense_units", "glifac_auroc", lo),
            f"dense {hi}: GLIFAC AUROC": axis_mean("dense_units", "glifac_auroc", hi),
            f"dense {lo}: test AUPR": axis_mean("dense_units", "test_aupr", lo),
            f"dense {hi}: test AUPR": axis_mean("dense_units", "test_aupr", hi)}, seeds)
