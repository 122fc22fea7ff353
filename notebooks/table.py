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
# # Classification: test AUROC and AUPR per model
# Mean ± sd over seeds, macro (the mean over tasks of scikit-learn's per-task scores) and pooled (all
# labels flattened, as `keras.metrics.AUC` computes it: the paper's metric), beside the paper's ranges.

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
from glifac.sweep.figures import Notebook, mean, mean_sd, verdict

nb = Notebook("table", scale, sweep_root, out, run_missing)
paper, cells, models = nb.complete("paper")
PAPER_AUROC, PAPER_AUPR = (0.989, 0.992), (0.955, 0.967)


lines = ["| model | seeds | AUROC (macro) | AUPR (macro) | AUROC (pooled) | AUPR (pooled) |",
         "|---|---|---|---|---|---|"]
for m in models:
    rows = cells[cells.model == m]
    lines.append(f"| {m} | {len(rows)} | " + " | ".join(mean_sd(rows[k].tolist()) for k in (
        "test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled")) + " |")
    for k in ("test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled"):
        nb.number(f"{k}/{m}", rows[k].tolist())
lines.append(f"| the paper (pooled) | 10 | | | {PAPER_AUROC[0]}–{PAPER_AUROC[1]} | {PAPER_AUPR[0]}–{PAPER_AUPR[1]} |")
text = "\n".join(lines)
(nb.out / "table_classification.md").write_text(f"Scale: {scale}.\n\n{text}\n")
print(text)

# %%
pooled = mean(cells.test_aupr_pooled)
nb.finding("test AUPR reaches the paper's 0.955–0.967 (pooled, the paper's metric)",
           verdict(None if pooled is None else pooled >= PAPER_AUPR[0] - 0.01),
           {"mean pooled test AUPR": pooled, "mean macro test AUPR": mean(cells.test_aupr)},
           len(paper.grid["seeds"]))
