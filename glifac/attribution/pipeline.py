"""``glifac attribute``: attribution maps of a run, scored against the planted motifs (:func:`attribute`).

For each task, the first ``n_sequences`` positive test sequences are explained
by every method (:mod:`glifac.attribution.methods`) and each map is scored:

* **ground truth** (simulated data with placements): per sequence, AUROC and
  average precision of the position scores (L1 over the channels) against the
  positions of the instances that make the label. Which instances count: an
  independent motif's task, that motif's; an AND pair's tasks, both motifs'
  (the label needs both); an XOR pair's task, its own motif's (a positive
  sequence holds only that one); a two-class grammar's positive class, the
  motifs of its AND pairs (or of the listed logic). Without placements the
  ground-truth scores are skipped, and said to be;
* **faithfulness**: the mean change of the task's logit when the most, or
  the least, important k% of positions (k in ``fractions``) are replaced (by
  all-zero rows, random bases, or the bases of a dinucleotide shuffle of the
  sequence), and the area between the two curves (larger: the ranking matters more);
* **mutagenesis test**: mutating (to another base, at random) the top 10% of
  positions of every explained positive sequence, against mutating 10% random
  positions (``random_draws`` draws, their 2.5–97.5% interval): the drop in the
  task's AUPR over those positives and the same number of unmutated negatives;
* **shape**: Gini index and normalised entropy of each map; continuous
  Jaccard between every two methods' maps;
* integrated gradients' **completeness gap**.

``attention_rollout`` is skipped, with a note, for a model without attention.

Outputs (``RUN/attribution`` or ``--out``), written whole or not at all:

``attributions.h5``
    per task, group ``<task>``: dataset ``sequence_index`` (n,) int (rows of
    the test split) and one dataset per method, (n, L, 4) float32.
``attribution.json``
    ``tasks``: task -> method -> scores (means and sds over sequences);
    ``jaccard``: task -> "method_a|method_b" -> mean; ``instances``: which
    instances counted, per task; ``skipped``: what could not be scored and why;
    ``attention`` (models with an attention layer): its sharpness over the first
    ``ATTENTION_SEQUENCES`` test sequences (:func:`analysis.attention_sharpness`);
    ``provenance`` (run, data, its SHA-256, every option) and ``versions``.
``report.html``, ``examples.png``
    the method x task table, and sequence logos (logomaker) of one example per
    task and method with its planted instances shaded (:mod:`glifac.attribution.report`).
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_fields

OUTPUT_NAMES = ("attributions.h5", "attribution.json", "report.html", "examples.png")
REPLACEMENTS = ("zeros", "random", "shuffle")
ATTENTION_SEQUENCES = 1000  # test sequences whose attention rows measure its sharpness


@dataclass(frozen=True)
class AttributionConfig:
    """Settings of :func:`attribute` (the options of ``glifac attribute``).

    Parameters
    ----------
    methods : str
        Comma-separated :data:`glifac.attribution.methods.METHODS`.
    tasks : str or None
        Comma-separated task names (default: every task).
    n_sequences : int
        Positive test sequences explained per task.
    steps : int
        Integrated-gradients steps.
    baseline : {"zeros", "uniform", "shuffle"}
        Integrated-gradients baseline.
    correction : bool
        Gradient correction on every gradient method.
    fractions : str
        Comma-separated shares of positions perturbed for the faithfulness curves.
    replacement : {"zeros", "random", "shuffle"}
        What perturbed positions become.
    random_draws : int
        Draws of random positions for the mutagenesis test (0: no test).
    lrp_epsilon : float
        LRP's epsilon rule in the Dense layers (0: LRP-0).
    seed : int
    batch_size : int
    """

    methods: str = "saliency,grad_x_input,smoothgrad,integrated_gradients,mutagenesis,lrp,attention_rollout"
    tasks: Optional[str] = None
    n_sequences: int = 500
    steps: int = 50
    baseline: str = "zeros"
    correction: bool = False
    fractions: str = "0.01,0.05,0.1,0.2,0.5"
    replacement: str = "zeros"
    random_draws: int = 100
    lrp_epsilon: float = 0.0
    seed: int = 0
    batch_size: int = 256

    def __post_init__(self):
        from glifac.attribution.methods import BASELINES, METHODS

        check_fields(self)
        unknown = [m for m in self.method_list if m not in METHODS]
        if unknown or not self.method_list:
            raise InputError(f"unknown method {unknown[0] if unknown else self.methods!r}; "
                             f"choose from {', '.join(METHODS)}")
        if self.n_sequences < 1:
            raise InputError(f"--n must be >= 1, got {self.n_sequences}")
        if self.steps < 1 or self.batch_size < 1 or self.seed < 0 or self.random_draws < 0 or self.lrp_epsilon < 0:
            raise InputError("steps and batch_size must be >= 1; seed, random_draws and lrp_epsilon >= 0")
        if self.baseline not in BASELINES:
            raise InputError(f"unknown baseline {self.baseline!r}; choose from {', '.join(BASELINES)}")
        if self.replacement not in REPLACEMENTS:
            raise InputError(f"unknown replacement {self.replacement!r}; choose from {', '.join(REPLACEMENTS)}")
        try:
            fractions = self.fraction_list
        except ValueError:
            raise InputError(f"fractions must be numbers separated by commas, got {self.fractions!r}") from None
        if not fractions or not all(0 < f < 1 for f in fractions):
            raise InputError(f"fractions must lie in (0, 1), got {self.fractions!r}")

    @property
    def method_list(self) -> list[str]:
        return [m.strip() for m in self.methods.split(",") if m.strip()]

    @property
    def fraction_list(self) -> list[float]:
        return sorted({float(f) for f in self.fractions.split(",") if f.strip()})


def counted_motifs(grammar, task: str) -> list[int]:
    """Indices of the grammar's motifs whose instances make ``task``'s label (module docstring)."""
    if grammar.two_class is not None:
        if task != grammar.output_names[1]:
            return []
        logics = set(grammar.two_class["logics"])
        return sorted({grammar.index(m) for i in grammar.interactions if i.logic in logics for m in i.motifs})
    for interaction in grammar.interactions:
        if task in interaction.motifs and interaction.logic == "and":
            return sorted(grammar.index(m) for m in interaction.motifs)
    return [grammar.index(task)] if task in grammar.motif_names else []


def attribute(run, config: AttributionConfig | None = None, out=None, *, data=None, force: bool = False,
              quiet: bool = False) -> dict:
    """Explain a run's positive test sequences with every method and score the maps; write the outputs.

    Raises
    ------
    InputError
        An incomplete run, an unknown task or method, a bad setting, an output that exists without ``force``.
    """
    import simulate
    from glifac import rundir
    from simulate.files import atomic_directory, check_output_dir

    started = time.perf_counter()
    config = AttributionConfig() if config is None else config
    run_dir, run_config, data_path = rundir.open_run(run, data)
    out = Path(out) if out is not None else run_dir / "attribution"
    check_output_dir(out, OUTPUT_NAMES, force)
    dataset = simulate.load(data_path, splits=("test",))
    names = list(dataset.task_names)
    tasks = [t.strip() for t in config.tasks.split(",")] if config.tasks else names
    missing = [t for t in tasks if t not in names]
    if missing:
        raise InputError(f"task {missing[0]!r} is not in the data (tasks: {', '.join(names)})")
    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    model, model_config = rundir.load_run_model(run_dir, run_config)
    from simulate.files import atomic_write_json, sha256_file

    with atomic_directory(out) as tmp:
        summary = _attribute_into(tmp, model, model_config.head, dataset, tasks, config, quiet)
        summary["provenance"] = {"run": str(run_dir.resolve()), "data": str(Path(data_path).resolve()),
                                 "data_sha256": sha256_file(data_path), "config": asdict(config)}
        examples = summary.pop("_examples")
        from glifac.attribution.report import EXAMPLES_FILE, write_examples, write_report

        drawn = write_examples(tmp / EXAMPLES_FILE, examples["maps"], examples["masks"])
        write_report(tmp / "report.html", summary, tmp / EXAMPLES_FILE if drawn else None)
        summary["seconds"] = time.perf_counter() - started
        atomic_write_json(tmp / OUTPUT_NAMES[1], summary)
    return summary


def _attribute_into(out: Path, model, head: str, dataset, tasks, config: AttributionConfig, quiet: bool) -> dict:
    import h5py

    from analysis import instance_mask
    from analysis.attribution import (attention_sharpness, continuous_jaccard, entropy, gini, ground_truth_scores,
                                      position_scores)
    from glifac.attribution import methods as M
    from glifac.progress import say
    from glifac.rundir import package_versions

    grammar = dataset.grammar
    placements = dataset.arrays.get("placements_test")
    summary = {"tasks": {}, "jaccard": {}, "instances": {}, "skipped": {}, "versions": package_versions(),
               "_examples": {"maps": {}, "masks": {}}}
    options = {"head": head, "batch_size": config.batch_size}
    extra = {"smoothgrad": {"correction": config.correction, "random_state": config.seed},
             "saliency": {"correction": config.correction}, "grad_x_input": {"correction": config.correction},
             "integrated_gradients": {"correction": config.correction, "steps": config.steps,
                                      "baseline": config.baseline, "random_state": config.seed},
             "mutagenesis": {}, "lrp": {"correction": config.correction, "epsilon": config.lrp_epsilon},
             "attention_rollout": {}}
    methods_here = list(config.method_list)
    from architectures.discover import CanProbe, find_can_layers

    try:
        layers = find_can_layers(model)
    except InputError as exc:
        if "attention_rollout" in methods_here:
            methods_here.remove("attention_rollout")
            summary["skipped"]["attention_rollout"] = f"not for this model: {exc}"
    else:
        # how far from uniform the attention is: what separates LRP from gradient x input, and rollout from flat
        _, attention = CanProbe(model, layers).features_and_attention(
            dataset.x_test[:ATTENTION_SEQUENCES].astype(np.float32), config.batch_size)
        summary["attention"] = {**attention_sharpness(attention), "n_sequences": len(attention),
                                "layer": layers.attention}
    with h5py.File(out / OUTPUT_NAMES[0], "w") as h5:
        for task in tasks:
            t = dataset.task_names.index(task)
            index = np.flatnonzero(dataset.y_test[:, t] > 0)[: config.n_sequences]
            if not len(index):
                summary["skipped"][task] = "no positive test sequence"
                continue
            x = dataset.x_test[index].astype(np.float32)
            group = h5.create_group(task)
            group.create_dataset("sequence_index", data=index)
            mask = None
            if grammar is None or placements is None:
                summary["skipped"][task] = "the data have no planted instances: ground-truth scores not computed"
            else:
                motifs = counted_motifs(grammar, task)
                summary["instances"][task] = [grammar.motif_names[m] for m in motifs]
                if motifs:
                    position = np.full(len(dataset.x_test), -1)
                    position[index] = np.arange(len(index))
                    rows = placements[(position[placements[:, 0]] >= 0) & np.isin(placements[:, 1], motifs)].copy()
                    rows[:, 0] = position[rows[:, 0]]
                    mask = instance_mask(rows, len(index), x.shape[1], [m.width for m in grammar.motifs])
                else:
                    summary["skipped"][task] = "no planted instance makes this label"
            test = _MutagenesisTest(model, head, t, dataset, index, config) if config.random_draws else None
            scores, maps = {}, {}
            for method in methods_here:
                say(f"{task}: {method} on {len(index)} sequences", not quiet)
                maps[method] = M.METHODS[method](model, x, t, **options, **extra[method])
                group.create_dataset(method, data=maps[method].astype(np.float32), compression="gzip",
                                     compression_opts=1)
                position_score = position_scores(maps[method])
                row = {"gini": _mean_sd(gini(maps[method])), "entropy": _mean_sd(entropy(maps[method]))}
                if mask is not None:
                    truth = ground_truth_scores(position_score, mask)
                    row["auroc"], row["aupr"] = _mean_sd(truth["auroc"]), _mean_sd(truth["aupr"])
                row["faithfulness"] = _faithfulness(model, x, t, head, position_score, config)
                if test is not None:
                    row["mutagenesis_test"] = test.top(position_score)
                if method == "integrated_gradients":
                    gap = M.completeness_gap(model, x, maps[method], t, head=head, baseline=config.baseline,
                                             random_state=config.seed, batch_size=config.batch_size)
                    row["completeness_gap"] = _mean_sd(gap)
                scores[method] = row
            summary["tasks"][task] = scores
            summary["_examples"]["maps"][task] = {method: values[:1] for method, values in maps.items()}
            summary["_examples"]["masks"][task] = None if mask is None else mask[:1]
            methods = list(maps)
            summary["jaccard"][task] = {f"{a}|{b}": _mean_sd(continuous_jaccard(maps[a], maps[b]))["mean"]
                                        for i, a in enumerate(methods) for b in methods[i + 1:]}
    return summary


def _faithfulness(model, x, task, head, position_score, config) -> dict:
    """Mean logit change when the most / least important k% of positions are replaced; the area between."""
    from analysis import dinucleotide_shuffle
    from analysis.attribution import rank_positions
    from glifac.attribution.methods import logit_function

    logit = logit_function(model, task, head)
    rng = np.random.default_rng(config.seed)

    def f(values):
        return np.concatenate([logit(values[i:i + config.batch_size].astype(np.float32)).numpy()
                               for i in range(0, len(values), config.batch_size)]).astype(np.float64)

    reference = f(x)
    if config.replacement == "zeros":
        replacement = np.zeros_like(x)
    elif config.replacement == "random":
        replacement = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=x.shape[:2])]
    else:
        replacement = dinucleotide_shuffle(x.astype(np.uint8), random_state=config.seed)[:, 0].astype(np.float32)
    curves = {}
    for name, descending in (("most", True), ("least", False)):
        ranked = rank_positions(position_score, descending, rng)
        changes = []
        for fraction in config.fraction_list:
            k = max(1, math.ceil(fraction * x.shape[1]))
            rows = np.repeat(np.arange(len(x)), k)
            cols = ranked[:, :k].ravel()
            perturbed = x.copy()
            perturbed[rows, cols] = replacement[rows, cols]
            changes.append(float(np.mean(reference - f(perturbed))))
        curves[name] = changes
    area = float(np.trapezoid(np.subtract(curves["most"], curves["least"]), config.fraction_list)) \
        if len(config.fraction_list) > 1 else curves["most"][0] - curves["least"][0]
    return {"fractions": config.fraction_list, "most": curves["most"], "least": curves["least"],
            "area_between": area, "replacement": config.replacement}


class _MutagenesisTest:
    """Task AUPR after mutating the top 10% of positions of the explained positives, against random 10%."""

    FRACTION = 0.1

    def __init__(self, model, head, task, dataset, index, config):
        from sklearn.metrics import average_precision_score

        from architectures.access import predict_in_batches

        self.ap = average_precision_score
        self.predict = lambda v: predict_in_batches(model, v.astype(np.float32), config.batch_size)[:, task]
        self.rng = np.random.default_rng(config.seed)
        labels = dataset.y_test[:, task] > 0
        negatives = np.flatnonzero(~labels)[: len(index)]
        self.x = dataset.x_test[index].astype(np.float32)
        self.k = max(1, int(round(self.FRACTION * self.x.shape[1])))
        self.y = np.r_[np.ones(len(index)), np.zeros(len(negatives))]
        self.negative_scores = self.predict(dataset.x_test[negatives]) if len(negatives) else np.zeros(0)
        self.baseline = self._aupr(self.predict(self.x))
        draws = [self._aupr(self.predict(self._mutate(np.argsort(self.rng.random(self.x.shape[:2]), axis=1))))
                 for _ in range(config.random_draws)]
        self.random = np.asarray(draws)

    def _aupr(self, positive_scores) -> float:
        if not len(self.negative_scores):
            return float("nan")
        return float(self.ap(self.y, np.r_[positive_scores, self.negative_scores]))

    def _mutate(self, ranked):
        mutated = self.x.copy()
        rows = np.repeat(np.arange(len(mutated)), self.k)
        cols = ranked[:, : self.k].ravel()
        observed = mutated[rows, cols].argmax(axis=1)
        new = (observed + self.rng.integers(1, 4, size=len(observed))) % 4  # another base, uniformly
        mutated[rows, cols] = np.eye(4, dtype=np.float32)[new]
        return mutated

    def top(self, position_score) -> dict:
        from analysis.attribution import rank_positions

        drop = self.baseline - self._aupr(self.predict(self._mutate(rank_positions(position_score, True, self.rng))))
        random_drops = self.baseline - self.random
        low, high = (np.percentile(random_drops, [2.5, 97.5]) if len(random_drops) else (None, None))
        return {"aupr": self.baseline, "drop_top": drop,
                "drop_random_mean": float(random_drops.mean()) if len(random_drops) else None,
                "drop_random_interval": [float(low), float(high)] if low is not None else None,
                "fraction": self.FRACTION, "draws": int(len(random_drops))}


def _mean_sd(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return {"mean": float(values.mean()) if len(values) else None,
            "sd": float(values.std(ddof=1)) if len(values) > 1 else None, "n": int(len(values))}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = AttributionConfig()
    parser.add_argument("--run", required=True, help="a complete run directory")
    parser.add_argument("--data", default=None, help="dataset file (default: the run's)")
    parser.add_argument("--methods", default=d.methods, help=f"comma-separated (default {d.methods})")
    parser.add_argument("--tasks", default=None, help="comma-separated task names (default: all)")
    parser.add_argument("--n", type=int, default=d.n_sequences, dest="n_sequences",
                        help="positive test sequences per task (default %(default)s)")
    parser.add_argument("--steps", type=int, default=d.steps, help="integrated-gradients steps (default 50)")
    parser.add_argument("--baseline", default=d.baseline, help="integrated-gradients baseline: zeros, uniform, "
                                                               "shuffle (default zeros)")
    parser.add_argument("--correction", action="store_true", help="gradient correction on gradient methods")
    parser.add_argument("--fractions", default=d.fractions, help=f"perturbed shares (default {d.fractions})")
    parser.add_argument("--replacement", default=d.replacement, help="perturbed positions become: zeros, random, "
                                                                     "shuffle (default zeros)")
    parser.add_argument("--random-draws", type=int, default=d.random_draws,
                        help="random 10%% draws for the mutagenesis test (default 100; 0: no test)")
    parser.add_argument("--lrp-epsilon", type=float, default=0.0,
                        help="LRP's epsilon rule in the dense layers (default 0: LRP-0)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--out", default=None, help="output directory (default RUN/attribution)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args) -> int:
    config = AttributionConfig(methods=args.methods, tasks=args.tasks, n_sequences=args.n_sequences,
                               steps=args.steps, baseline=args.baseline, correction=args.correction,
                               fractions=args.fractions, replacement=args.replacement,
                               random_draws=args.random_draws, lrp_epsilon=args.lrp_epsilon, seed=args.seed)
    summary = attribute(args.run, config, args.out, data=args.data, force=args.force, quiet=args.quiet)
    print(f"{'task':<12} {'method':<22} {'AUROC':>6} {'AUPR':>6} {'faithful':>8} {'Gini':>5}")
    for task, rows in summary["tasks"].items():
        for method, row in rows.items():
            def f(key):
                value = (row.get(key) or {}).get("mean")
                return "-" if value is None else f"{value:.3f}"
            print(f"{task:<12} {method:<22} {f('auroc'):>6} {f('aupr'):>6} "
                  f"{row['faithfulness']['area_between']:>8.3f} {f('gini'):>5}")
    for task, reason in summary["skipped"].items():
        print(f"{task}: {reason}")
    return 0
