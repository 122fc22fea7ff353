"""Method x metric table (means over tasks) from one or more ``attribution.json`` files, as markdown.

Usage::

    python docs/investigations/attribution_table.py LABEL=RUN/attribution/attribution.json [...]
"""
from __future__ import annotations

import json
import sys

import numpy as np


def table(label: str, summary: dict) -> list[str]:
    methods = list(next(iter(summary["tasks"].values())))
    lines = []
    for method in methods:
        rows = [by_method[method] for by_method in summary["tasks"].values() if method in by_method]

        def mean(get):
            values = [v for v in (get(r) for r in rows) if v is not None]
            return float(np.mean(values)) if values else None

        above = sum(1 for r in rows if r.get("mutagenesis_test") and r["mutagenesis_test"]["drop_random_interval"]
                    and r["mutagenesis_test"]["drop_top"] > r["mutagenesis_test"]["drop_random_interval"][1])
        cells = [mean(lambda r: (r.get("auroc") or {}).get("mean")), mean(lambda r: (r.get("aupr") or {}).get("mean")),
                 mean(lambda r: r["faithfulness"]["area_between"]),
                 mean(lambda r: (r.get("mutagenesis_test") or {}).get("drop_top")),
                 mean(lambda r: r["gini"]["mean"]), mean(lambda r: r["entropy"]["mean"]),
                 mean(lambda r: (r.get("completeness_gap") or {}).get("mean"))]
        text = ["–" if v is None else f"{v:.3f}" for v in cells]
        lines.append(f"| {label} | {method} | " + " | ".join(text[:4]) + f" | {above}/{len(rows)} | "
                     + " | ".join(text[4:]) + " |")
    return lines


def main(argv) -> int:
    print("| model | method | AUROC | AUPR | faithfulness area | top-10% AUPR drop | tasks above the random 95% | "
          "Gini | entropy | IG completeness gap |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arg in argv:
        label, path = arg.split("=", 1)
        for line in table(label, json.loads(open(path).read())):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
