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
# # Controls on paper-decoys data
# Two decoy pairs co-occur exactly like the four interacting pairs but do not interact. For every
# method — GLIFAC, local attention, GLIFAC without attention, co-occurrence (no model) and the in-silico
# interaction test (GIA, run here through the library) — the motif-pair AUROC against all pairs and
# against the decoys only (0.5: no better than chance), boxes over seeds.

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from glifac.gia import GIAConfig, gia
from glifac.sweep.figures import METHOD_COLOURS, Notebook, boxes, mean, verdict
from simulate.files import read_json

nb = Notebook("controls", scale, sweep_root, out, run_missing)
decoys, cells, models = nb.complete("decoys")
at = decoys.scores[decoys.scores.threshold_label == "0.1"].merge(cells[["cell_id", "model", "seed"]], on="cell_id")
backgrounds = {"tiny": 50, "small": 300, "full": 500}[scale]
gia_rows = []
for row in cells.itertuples():
    target = decoys.run_dir(row.cell_id) / "gia"
    if not (target / "gia.json").is_file():
        gia(decoys.run_dir(row.cell_id), GIAConfig(n_backgrounds=backgrounds), target, quiet=True)
    result = read_json(target / "gia.json")["scores"]
    gia_rows.append({"model": row.model, "seed": row.seed, "method": "gia",
                     "motif_auroc": result.get("motif_auroc"), "motif_auroc_vs_decoys": result.get("motif_auroc_vs_decoys")})

# %%
methods = ["glifac", "local", "glifac_random", "cooccurrence", "gia"]
fig, axes = plt.subplots(1, 2, figsize=(14, 4))
found = {}
for ax, key, title in zip(axes, ("motif_auroc", "motif_auroc_vs_decoys"),
                          ("motif-pair AUROC, all pairs", "AUROC against decoy pairs only")):
    groups, colours = {}, {}
    for m in models:
        for method in methods:
            values = [r[key] for r in gia_rows if r["model"] == m] if method == "gia" else \
                at[(at.model == m) & (at.method == method)][key].tolist()
            groups[f"{m} {method}"] = values
            colours[f"{m} {method}"] = METHOD_COLOURS[method]
            nb.number(f"{key}/{method}/{m}", values)
            found.setdefault((key, method), []).extend(values)
    boxes(ax, groups, colours)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{title}, t = 0.1", fontsize=10)
fig.suptitle("red: GLIFAC; purple: local attention; pink: GLIFAC without attention; brown: co-occurrence, "
             "no model; cyan: in-silico interaction test (GIA). Dotted: chance", fontsize=9, y=1.02)
nb.save(fig, "controls_decoys.png")

# %%
g, co, test = (mean(found.get(("motif_auroc_vs_decoys", m), [])) for m in ("glifac", "cooccurrence", "gia"))
nb.finding("with decoy pairs that co-occur like the true ones, GLIFAC ranks true pairs above decoys "
           "(its recovery exceeds what co-occurrence alone gives)",
           verdict(None if g is None else g > 0.75, None if None in (g, co) else g > co + 0.1),
           {"GLIFAC AUROC vs decoys": g, "co-occurrence AUROC vs decoys": co, "GIA AUROC vs decoys": test},
           len(decoys.grid["seeds"]))
