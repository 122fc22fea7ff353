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
# # Findings
# Gathers the verdict each notebook reached on the paper's qualitative claims into `findings.md`.
# Run it after the figure notebooks.

# %% tags=["parameters"]
scale = "small"
sweep_root = "sweeps"
out = "figures"
run_missing = True

# %%
import json
from pathlib import Path

folder = Path(out) / "findings"
findings = [f for path in sorted(folder.glob("*.json")) if path.stem != "findings"
            for f in json.loads(path.read_text())]
counts = {}
for f in findings:
    counts[f["verdict"]] = counts.get(f["verdict"], 0) + 1


def evidence(values):
    parts = []
    for key, value in values.items():
        if isinstance(value, float):
            value = f"{value:.3f}"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


lines = [f"# Findings at the {scale} scale", "",
         "Each qualitative claim of Ghotra, Lee & Koo (2021), and of AttnGen (notebook attngen), as the "
         "figure notebooks measured it. "
         "'undecided' means the scale could not measure it (e.g. no filter matched a motif).", "",
         "| claim | verdict | numbers | scale | seeds | notebook |", "|---|---|---|---|---|---|"]
for f in findings:
    lines.append(f"| {f['claim']} | **{f['verdict']}** | {evidence(f['evidence'])} | {f['scale']} | "
                 f"{f['seeds']} | {f['notebook']} |")
lines += ["", "Verdicts: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))]
(Path(out) / "findings.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
