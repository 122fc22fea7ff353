"""What the figure notebooks share: which grids a scale uses, the paper's colours, and a recorder that
saves every figure, the numbers drawn in it, and the findings it supports.

A notebook (``notebooks/fig*.py``) does::

    from glifac.sweep.figures import Notebook
    nb = Notebook("fig1", scale, sweep_root, out, run_missing)
    paper = nb.results("paper")              # glifac.sweep.results.SweepResults of this scale's paper grid
    ... draw with matplotlib ...
    nb.save(fig, "fig1_attention.png")
    nb.number("tpr/CNN20-Exp", values)       # every number drawn, for the tests and for findings.md
    nb.finding("local attention finds the true pairs ...", "reproduced", {"mean TPR": 0.98})

Outputs under ``out``: the PNG files, ``data/<notebook>.json`` (numbers drawn) and
``findings/<notebook>.json`` (claims, verdicts, the numbers behind them, scale, seeds).
"""
from __future__ import annotations

import json
from pathlib import Path

# scale -> figure role -> grid name (shipped in glifac/grids)
GRIDS = {
    "tiny": {"paper": "tiny", "decoys": "tiny-decoys", "design": "tiny-appendix-e", "attngen": "tiny-attngen"},
    "small": {"paper": "small", "decoys": "small-decoys", "design": "small-appendix-e", "attngen": "small-attngen"},
    "full": {"paper": "paper", "decoys": "paper-decoys", "design": "appendix-e", "attngen": "attngen"},
}
EXP_GREEN = "#2ca02c"  # the paper draws exponential models green
RELU_BLUE = "#1f77b4"  # and ReLU models blue
OTHER_GREY = "#7f7f7f"
METHOD_COLOURS = {"glifac": "#d62728", "local": "#9467bd", "glifac_random": "#ff9896", "cooccurrence": "#8c564b",
                  "gia": "#17becf"}
VERDICTS = ("reproduced", "not reproduced", "mixed", "undecided")


def activation_colour(model: str) -> str:
    """Green for exponential presets, blue for ReLU, grey otherwise."""
    if "-Exp" in model:
        return EXP_GREEN
    if "-ReLU" in model:
        return RELU_BLUE
    return OTHER_GREY


class Notebook:
    """One figure notebook's context (see the module docstring)."""

    def __init__(self, name: str, scale: str, sweep_root, out, run_missing: bool = True):
        if scale not in GRIDS:
            raise ValueError(f"scale must be one of {', '.join(GRIDS)}, got {scale!r}")
        self.name, self.scale, self.run_missing = name, scale, run_missing
        self.sweep_root, self.out = Path(sweep_root), Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.numbers: dict = {}
        self.findings: list = []
        self._results: dict = {}

    def results(self, role: str):
        """This scale's sweep for ``role`` (paper, decoys, design, attngen), run first when ``run_missing``."""
        from glifac.sweep.results import ensure_sweep

        import os

        if role not in self._results:
            grid = GRIDS[self.scale][role]
            self._results[role] = ensure_sweep(grid, self.sweep_root / grid, run=self.run_missing,
                                               ray=os.environ.get("RAY_ADDRESS") or None)
        return self._results[role]

    def complete(self, role: str):
        """``(results, complete cells, models in grid order)`` of this scale's sweep for ``role``."""
        results = self.results(role)
        cells = results.complete()
        models = [m for m in results.grid["models"] if m in set(cells.model)]
        return results, cells, models

    def save(self, fig, filename: str) -> Path:
        path = self.out / filename
        fig.savefig(path, dpi=110, bbox_inches="tight")
        return path

    def number(self, key: str, value) -> None:
        """Record a number (or a list of numbers) drawn in a figure."""
        self.numbers[key] = _plain(value)
        self._write()

    def finding(self, claim: str, verdict: str, evidence: dict, seeds: int | None = None) -> None:
        """Record the verdict on one of the paper's claims at this scale."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        self.findings.append({"claim": claim, "verdict": verdict, "evidence": _plain(evidence),
                              "scale": self.scale, "seeds": seeds, "notebook": self.name})
        self._write()

    def _write(self) -> None:
        for folder, payload in (("data", self.numbers), ("findings", self.findings)):
            (self.out / folder).mkdir(exist_ok=True)
            (self.out / folder / f"{self.name}.json").write_text(json.dumps(payload, indent=2, sort_keys=True))


def _plain(value):
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and value != value:
        return None
    return value


def boxes(ax, groups: dict, colours: dict | None = None, ylabel: str = "") -> None:
    """Box plots of ``{label: values}`` (NaNs dropped), filled with ``colours[label]`` or the activation colour."""
    import numpy as np

    labels = list(groups)
    data = [np.asarray([v for v in groups[k] if v is not None and v == v], dtype=float) for k in labels]
    positions = np.arange(1, len(labels) + 1)
    drawn = [k for k, d in enumerate(data) if d.size]
    if drawn:
        box = ax.boxplot([data[k] for k in drawn], positions=positions[drawn], patch_artist=True, widths=0.6)
        for patch, k in zip(box["boxes"], drawn):
            patch.set_facecolor((colours or {}).get(labels[k], activation_colour(labels[k])))
            patch.set_alpha(0.8)
    ax.set_xticks(positions)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)


def mean(values) -> float | None:
    """Mean of the finite values, None when there are none."""
    import numpy as np

    data = np.asarray([v for v in values if v is not None and v == v], dtype=float)
    return float(data.mean()) if data.size else None


def mean_sd(values, digits: int = 3, scale: float = 1.0) -> str:
    """``"m ± sd"`` of the finite values times ``scale`` (sd over seeds, n - 1), ``"m"`` for one value, "–" for none."""
    values = [v * scale for v in values if v is not None and v == v]
    if not values:
        return "–"
    m = sum(values) / len(values)
    if len(values) == 1:
        return f"{m:.{digits}f}"
    sd = (sum((v - m) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def verdict(*conditions) -> str:
    """``reproduced`` when every condition holds, ``not reproduced`` when none does, ``mixed`` in
    between, and ``undecided`` when any is None (not measurable at this scale)."""
    if any(c is None for c in conditions):
        return "undecided"
    if all(conditions):
        return "reproduced"
    return "not reproduced" if not any(conditions) else "mixed"
