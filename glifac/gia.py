"""``glifac gia``: an in-silico interaction test that asks the model, not the data (:func:`gia`).

Embeds every pair of motifs (the grammar's PPMs, or the model's own filters
labelled by ``glifac interpret``) into background sequences and measures
their epistasis on every task (:mod:`analysis.gia`). Because the motifs are
placed by the test, not by the simulator, the result cannot come from the
co-occurrence of motifs in the data.

Output directory (default ``RUN/gia``), written whole or not at all:

``gia.tsv``
    One row per pair and task: ``motif_a``, ``motif_b``, ``task``, ``mean``
    and ``sd`` of the epistasis (logit space), ``n`` samples.
``pairs.tsv``
    Pairs ranked by their score (largest |mean epistasis| on the pair's own
    tasks, or on any task when tasks are not named after motifs): ``rank``,
    ``motif_a``, ``motif_b``, ``score``, ``is_true``, ``is_decoy``.
``gia.json``
    ``scores`` (motif-pair AUROC and AUPR against all pairs, AUROC against the
    grammar's decoy pairs; :func:`analysis.motif_pair_metrics`), ``motifs``
    (name, source, width), ``single_effects``, ``distances``,
    ``n_predictions``, ``seconds``, ``sequences_per_second``, ``provenance``
    (run, data and its SHA-256, every option) and ``versions``.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_fields

OUTPUT_NAMES = ("gia.tsv", "pairs.tsv", "gia.json")
MIN_FILTER_INFORMATION = 3.0  # bits: unlabelled filters below this are not motifs
EDGE_INFORMATION = 0.5  # bits: filter columns below this are trimmed from either end


@dataclass(frozen=True)
class GIAConfig:
    """Settings of :func:`gia` (the options of ``glifac gia``).

    Parameters
    ----------
    motifs : {"grammar", "filters"}
        The dataset grammar's PPMs, or the model's filters as labelled in ``maps``.
    maps : str or None
        ``maps.h5`` written by ``glifac interpret`` (default ``RUN/interpret/maps.h5``), for ``filters``.
    n_backgrounds : int
        Background sequences.
    backgrounds : {"shuffle", "composition"}
        Dinucleotide shuffles of the first test sequences, or i.i.d. bases at the test set's composition.
    instances : {"consensus", "sampled"}
        Embed each motif's consensus or an instance sampled from its PPM per background.
    distances : str or None
        Comma-separated centre-to-centre distances in nt (default: 20, 35 and 50% of the length).
    seed : int
    batch_size : int
        Sequences per forward pass.
    """

    motifs: str = "grammar"
    maps: Optional[str] = None
    n_backgrounds: int = 500
    backgrounds: str = "shuffle"
    instances: str = "consensus"
    distances: Optional[str] = None
    seed: int = 0
    batch_size: int = 2048

    def __post_init__(self):
        check_fields(self)
        for key, choices in (("motifs", ("grammar", "filters")), ("backgrounds", ("shuffle", "composition")),
                             ("instances", ("consensus", "sampled"))):
            if getattr(self, key) not in choices:
                raise InputError(f"--{key} must be one of {', '.join(choices)}, got {getattr(self, key)!r}")
        if self.n_backgrounds < 1:
            raise InputError(f"--n-backgrounds must be at least 1, got {self.n_backgrounds}")
        if self.batch_size < 1:
            raise InputError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.seed < 0:
            raise InputError(f"--seed must be a non-negative integer, got {self.seed}")
        self.distance_list()

    def distance_list(self) -> list[int] | None:
        if self.distances is None:
            return None
        try:
            values = [int(v) for v in self.distances.split(",") if v.strip()]
        except ValueError:
            raise InputError(f"--distances: cannot read {self.distances!r} (use e.g. 40,70,100)") from None
        if not values or min(values) < 1:
            raise InputError("--distances needs positive integers")
        return values


@dataclass(frozen=True)
class GIAOutcome:
    """What :func:`gia` returns: the output directory, the ranked pairs and the scores."""

    out: Path
    ranked: list
    scores: dict
    seconds: float


def gia(run, config: GIAConfig | None = None, out=None, *, data=None, force: bool = False,
        quiet: bool = False) -> GIAOutcome:
    """Run the interaction test on a complete run and write the outputs (see the module docstring).

    Raises
    ------
    InputError
        An incomplete run, a dataset without a grammar (with ``motifs="grammar"``), a
        missing ``maps.h5`` (with ``motifs="filters"``), distances at which no pair fits.
    """
    from glifac import rundir
    from simulate.files import atomic_directory, check_output_dir

    started = time.perf_counter()
    config = GIAConfig() if config is None else config
    run_dir, run_config, data_path = rundir.open_run(run, data)
    out = Path(out) if out is not None else run_dir / "gia"
    check_output_dir(out, OUTPUT_NAMES, force)

    import simulate

    dataset = simulate.load(data_path, splits=("test",))
    motifs, sources = _motifs(config, dataset, run_dir)
    from analysis.gia import default_distances

    distances = config.distance_list() or default_distances(dataset.length)
    widest = max(len(m) for m in motifs.values())
    if not [d for d in distances if widest <= d and d + widest <= dataset.length]:
        raise InputError(f"--distances {distances}: no pair of {widest}-nt motifs fits at these distances "
                         f"in {dataset.length}-nt sequences")
    with atomic_directory(out) as tmp:
        ranked, scores = _run(tmp, run_dir, run_config, dataset, config, motifs, sources, distances, quiet,
                              started)
    return GIAOutcome(out=out, ranked=ranked, scores=scores, seconds=time.perf_counter() - started)


def _motifs(config: GIAConfig, dataset, run_dir: Path) -> tuple[dict, dict]:
    """``({name: PPM}, {name: source})`` of the motifs to test."""
    if config.motifs == "grammar":
        if dataset.grammar is None:
            raise InputError(f"{dataset.path} has no grammar: use --motifs filters")
        return ({m.name: m.ppm for m in dataset.grammar.motifs},
                {m.name: m.source for m in dataset.grammar.motifs})
    from analysis import information_content, position_information_content
    from glifac.interpretation import read_maps

    maps_path = Path(config.maps) if config.maps else run_dir / "interpret" / "maps.h5"
    if not maps_path.is_file():
        raise InputError(f"--motifs filters needs the run's maps.h5 ({maps_path} not found): "
                         "run glifac interpret first or pass --maps")
    maps = read_maps(maps_path)
    ppms, labels = maps["filter_ppms"], maps["filter_labels"]
    ic = information_content(ppms)
    chosen: dict[str, int] = {}
    labelled = any(label is not None for label in labels)
    for f, label in enumerate(labels):
        name = label if labelled else f"f{f}"
        if name is None or (not labelled and ic[f] < MIN_FILTER_INFORMATION):
            continue
        if name not in chosen or ic[f] > ic[chosen[name]]:
            chosen[name] = f
    if len(chosen) < 2:
        raise InputError(f"{maps_path}: fewer than two usable filters to pair")
    motifs, sources = {}, {}
    for name, f in chosen.items():
        columns = np.flatnonzero(position_information_content(ppms[f]) >= EDGE_INFORMATION)
        core = ppms[f][columns.min():columns.max() + 1] if columns.size else ppms[f]
        motifs[name], sources[name] = core, f"filter {f}"
    return motifs, sources


def _backgrounds(config: GIAConfig, dataset) -> np.ndarray:
    """(n_backgrounds, L, 4) one-hot backgrounds."""
    import simulate
    from analysis import dinucleotide_shuffle

    x = dataset.x_test
    if config.backgrounds == "composition":
        rng = np.random.default_rng(config.seed)
        composition = x.reshape(-1, 4).mean(axis=0)
        bases = rng.choice(4, size=(config.n_backgrounds, dataset.length), p=composition / composition.sum())
        return simulate.one_hot(bases)
    reps = -(-config.n_backgrounds // len(x))
    source = x[: min(len(x), config.n_backgrounds)]
    shuffled = dinucleotide_shuffle(source, n=reps, random_state=config.seed)
    return shuffled.transpose(1, 0, 2, 3).reshape(-1, dataset.length, 4)[: config.n_backgrounds]


def _run(out, run_dir, run_config, dataset, config, motifs, sources, distances, quiet, started):
    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import architectures
    from analysis import motif_pair_metrics
    from analysis.gia import global_importance
    from glifac.interpretation.outputs import write_tsv
    from glifac.progress import Progress, say
    from glifac.rundir import package_versions
    from simulate.files import atomic_write_json, sha256_file

    say("loading model", not quiet)
    model = architectures.load_model(run_dir / "model.keras")
    if model.input_shape[1] != dataset.length:
        raise InputError(f"data sequences have length {dataset.length}, the model expects {model.input_shape[1]}")
    backgrounds = _backgrounds(config, dataset)
    n_pairs = len(motifs) * (len(motifs) - 1) // 2
    estimate = len(backgrounds) * (1 + 2 * len(distances) * (len(motifs) + n_pairs))
    result = global_importance(
        lambda x: architectures.predict_in_batches(model, x, config.batch_size), backgrounds, motifs,
        distances=distances, instances=config.instances, task_names=dataset.task_names,
        batch_size=config.batch_size, random_state=config.seed,
        progress=Progress("GIA forward passes", estimate, not quiet))
    predict_seconds = time.perf_counter() - started

    grammar = dataset.grammar
    truth = [(a, b) for a, b, _ in grammar.interaction_pairs()] if grammar is not None else []
    decoys = list(grammar.decoys) if grammar is not None else []
    truth_keys, decoy_keys = {frozenset(p) for p in truth}, {frozenset(p) for p in decoys}
    scores_per_pair = result.pair_scores()
    order = np.argsort(-scores_per_pair, kind="stable")
    ranked = [{"rank": r + 1, "motif_a": result.pairs[k][0], "motif_b": result.pairs[k][1],
               "score": float(scores_per_pair[k]), "is_true": frozenset(result.pairs[k]) in truth_keys,
               "is_decoy": frozenset(result.pairs[k]) in decoy_keys} for r, k in enumerate(order)]
    scores = {}
    if truth and any(row["is_true"] for row in ranked):
        scores = motif_pair_metrics({tuple(p): s for p, s in zip(result.pairs, scores_per_pair)},
                                    result.motif_names, truth, decoys)
    write_tsv(out / "pairs.tsv", ranked, ["rank", "motif_a", "motif_b", "score", "is_true", "is_decoy"])
    write_tsv(out / "gia.tsv", [{"motif_a": a, "motif_b": b, "task": task, "mean": result.mean[k, t],
                                 "sd": result.sd[k, t], "n": int(result.n_samples[k])}
                                for k, (a, b) in enumerate(result.pairs) for t, task in enumerate(result.task_names)],
              ["motif_a", "motif_b", "task", "mean", "sd", "n"])
    atomic_write_json(out / "gia.json", {
        "scores": scores,
        "motifs": [{"name": name, "source": sources[name], "width": int(len(motifs[name]))} for name in motifs],
        "single_effects": {name: dict(zip(result.task_names, result.single_effect[i].tolist()))
                           for i, name in enumerate(result.motif_names)},
        "distances": result.distances, "n_predictions": result.n_predictions,
        "seconds": time.perf_counter() - started,
        "sequences_per_second": result.n_predictions / max(predict_seconds, 1e-9),
        "provenance": {"run": str(run_dir), "data": str(dataset.path), "data_sha256": sha256_file(dataset.path),
                       "model": run_config.get("model", model.name), **asdict(config),
                       "generator_version": dataset.generator_version},
        "versions": package_versions(),
    })
    return ranked, scores


# ---------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = GIAConfig()
    parser.add_argument("--run", required=True, help="run directory written by `glifac train`")
    parser.add_argument("--data", default=None, help="dataset file (default: the one the run was trained on)")
    parser.add_argument("--motifs", choices=("grammar", "filters"), default=defaults.motifs,
                        help="the grammar's motifs (default) or the model's labelled filters (needs maps.h5)")
    parser.add_argument("--maps", default=None, help="maps.h5 for --motifs filters (default RUN/interpret/maps.h5)")
    parser.add_argument("--n-backgrounds", type=int, default=defaults.n_backgrounds,
                        help="background sequences (default 500)")
    parser.add_argument("--backgrounds", choices=("shuffle", "composition"), default=defaults.backgrounds,
                        help="dinucleotide-shuffled test sequences (default) or i.i.d. bases")
    parser.add_argument("--instances", choices=("consensus", "sampled"), default=defaults.instances,
                        help="embed each motif's consensus (default) or instances sampled from its PPM")
    parser.add_argument("--distances", default=None,
                        help="centre-to-centre distances in nt, comma-separated (default 20/35/50%% of the length)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed (default 0)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="sequences per forward pass")
    parser.add_argument("--out", default=None, help="output directory (default RUN/gia)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def run(args) -> int:
    config = GIAConfig(motifs=args.motifs, maps=args.maps, n_backgrounds=args.n_backgrounds,
                       backgrounds=args.backgrounds, instances=args.instances, distances=args.distances,
                       seed=args.seed, batch_size=args.batch_size)
    outcome = gia(args.run, config, args.out, data=args.data, force=args.force, quiet=args.quiet)
    print(f"{'rank':>4}  {'pair':<20} {'score':>7}  truth")
    for row in outcome.ranked[:10]:
        mark = "interaction" if row["is_true"] else ("decoy" if row["is_decoy"] else "")
        print(f"{row['rank']:>4}  {row['motif_a'] + '-' + row['motif_b']:<20} {row['score']:>7.3f}  {mark}")
    if outcome.scores:
        s = outcome.scores
        print(f"motif-pair AUROC {s['motif_auroc']:.3f}, AUPR {s['motif_aupr']:.3f}"
              + (f", AUROC vs decoys {s['motif_auroc_vs_decoys']:.3f}"
                 if s["motif_auroc_vs_decoys"] == s["motif_auroc_vs_decoys"] else ""))
    print(f"output: {outcome.out}")
    return 0
