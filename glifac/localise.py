"""``glifac localise``: which importance source points at the planted motifs? (:func:`localise`)

For a trained run and a simulated dataset with placements, scores every
position of the first ``n`` test sequences with each importance source
AttnGen can mask by (:mod:`glifac.training.attngen`: the paper's embedding
mean, CAN attention, gradient x input saliency, random) and measures, per
sequence, the AUROC of those scores for telling positions inside planted
motif instances from the rest (:func:`analysis.localisation_auroc`). Every
planted instance counts, whatever its role in the label.

Writes ``RUN/localisation.json`` (or ``--out``), atomically::

    {"sources": {source: {"auroc": mean over sequences, "auroc_sd": sd,
                          "auroc_positive": mean over sequences whose first
                          label column is off for a two-class dataset (the
                          positive class) or any label on otherwise,
                          "n_sequences": sequences scored,
                          "distinct_scores": mean number of distinct values per sequence}},
     "skipped": {source: reason}, "provenance": {...}, "versions": {...}}
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_fields

from glifac.training.config import IMPORTANCES as SOURCES

OUTPUT_FILE = "localisation.json"


@dataclass(frozen=True)
class LocaliseConfig:
    """Settings of :func:`localise`.

    Parameters
    ----------
    sources : str
        Comma-separated importance sources (default all four; ``attention`` is
        skipped, with a note, for a model without attention).
    n_sequences : int
        First test sequences scored.
    batch_size : int
    seed : int
        Seeds the ``random`` source.
    """

    sources: str = ",".join(SOURCES)
    n_sequences: int = 2000
    batch_size: int = 500
    seed: int = 0

    def __post_init__(self):
        check_fields(self)
        if self.n_sequences < 1 or self.batch_size < 1 or self.seed < 0:
            raise InputError("n_sequences and batch_size must be >= 1, seed >= 0")
        unknown = [s for s in self.source_list if s not in SOURCES]
        if unknown or not self.source_list:
            raise InputError(f"unknown importance source {unknown[0] if unknown else self.sources!r}; "
                             f"choose from {', '.join(SOURCES)}")

    @property
    def source_list(self) -> list[str]:
        return [s.strip() for s in self.sources.split(",") if s.strip()]


def localise(run, config: LocaliseConfig | None = None, data=None, out=None, force: bool = True) -> dict:
    """Score each importance source against the planted instances; write and return ``localisation.json``.

    Parameters
    ----------
    run : str or Path
        A complete run directory (``glifac train``).
    config : LocaliseConfig, optional
    data : str or Path, optional
        Dataset file (default: the one recorded in the run's ``config.json``).
    out : str or Path, optional
        Output file (default ``RUN/localisation.json``).
    force : bool
        Overwrite an existing output file.

    Raises
    ------
    InputError
        Not a complete run, a dataset without placements, or a bad setting.
    """
    import simulate
    from analysis.localisation import instance_mask, localisation_auroc
    from glifac.rundir import load_run_model, open_run, package_versions
    from glifac.training.attngen import position_importance
    from simulate.files import atomic_write_json, refuse_existing

    config = config or LocaliseConfig()
    run_dir, run_config, data_path = open_run(run, data)
    out = Path(out) if out is not None else run_dir / OUTPUT_FILE
    refuse_existing(out, force)
    dataset = simulate.load(data_path, splits=("test",))
    model, model_config = load_run_model(run_dir, run_config)
    if dataset.grammar is None or "placements_test" not in dataset.arrays:
        raise InputError(f"{dataset.path} has no planted instances (placements): nothing to localise against")
    n = min(config.n_sequences, len(dataset.x_test))
    x = dataset.x_test[:n].astype(np.float32)
    y = dataset.y_test[:n].astype(np.float32)
    placements = dataset.placements_test[dataset.placements_test[:, 0] < n]
    widths = [motif.width for motif in dataset.grammar.motifs]
    mask = instance_mask(placements, n, x.shape[1], widths)
    positive = y[:, 1] > 0 if dataset.grammar.two_class is not None else y.max(axis=1) > 0
    results, skipped = {}, {}
    for source in config.source_list:
        if source == "attention" and not model_config.has_attention:
            skipped[source] = "the model has no attention layer"
            continue
        scores = position_importance(model, x, y, source, model_config.head, config.batch_size, seed=config.seed)
        auroc = localisation_auroc(scores, mask)
        results[source] = {
            "auroc": _mean(auroc), "auroc_sd": float(np.nanstd(auroc)) if np.isfinite(auroc).any() else None,
            "auroc_positive": _mean(auroc[positive]), "n_sequences": int(np.isfinite(auroc).sum()),
            "distinct_scores": float(np.mean([len(np.unique(row)) for row in scores])),
        }
    summary = {"sources": results, "skipped": skipped,
               "provenance": {"run": str(run_dir.resolve()), "data": str(dataset.path), "config": asdict(config)},
               "versions": package_versions()}
    atomic_write_json(out, summary)
    return summary


def _mean(values) -> float | None:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="a complete run directory")
    parser.add_argument("--data", default=None, help="dataset file (default: the run's)")
    parser.add_argument("--sources", default=LocaliseConfig.sources,
                        help=f"importance sources, comma-separated (default {LocaliseConfig.sources})")
    parser.add_argument("--n", type=int, default=LocaliseConfig.n_sequences, dest="n_sequences",
                        help="test sequences scored (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random source (default 0)")
    parser.add_argument("--out", default=None, help=f"output file (default RUN/{OUTPUT_FILE})")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")


def run(args) -> int:
    config = LocaliseConfig(sources=args.sources, n_sequences=args.n_sequences, seed=args.seed)
    summary = localise(args.run, config, data=args.data, out=args.out, force=args.force or args.out is None)
    for source, row in summary["sources"].items():
        if row["auroc"] is None:
            print(f"{source:<10} localisation AUROC undefined (no sequence has positions inside and outside "
                  "instances)")
            continue
        print(f"{source:<10} localisation AUROC {row['auroc']:.3f} (sd {row['auroc_sd']:.3f}; "
              f"{row['n_sequences']} sequences; {row['distinct_scores']:.1f} distinct scores per sequence)")
    for source, reason in summary["skipped"].items():
        print(f"{source:<10} skipped: {reason}")
    return 0
