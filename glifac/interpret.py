"""``python -m glifac interpret``: which motifs and motif interactions did a trained CAN learn?

Pipeline (each step a pure function in ``analysis``):

1. stream the test split through the model: pooled feature maps (N, L', F) and
   attention aggregated over heads (N, L', L');
2. the same for dinucleotide-shuffled test sequences: the null attention
   distribution and its 90/95/99% quantiles;
3. first-layer filter PPMs from activation-aligned windows, matched to the
   grammar's motifs with Tomtom (filters.tsv);
4. GLIFAC correlation maps and local-attention count maps at every threshold,
   scored against the grammar's interactions (scores.json, interactions.tsv);
5. figures and report.html.

Output directory (default ``RUN_DIR/interpret``) is written under a temporary
name and renamed when complete.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from simulate.errors import InputError

DEFAULT_THRESHOLDS = "0.0:0.9:0.1"
NULL_QUANTILES = {"q90": 0.90, "q95": 0.95, "q99": 0.99}
HEADLINE_THRESHOLD = 0.1
# The authors drop filters with at most this much information (bits) before GLIFAC.
AUTHORS_MIN_INFORMATION = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="run directory written by `glifac train`")
    parser.add_argument("--data", default=None, help="dataset file (default: the one the run was trained on)")
    parser.add_argument(
        "--thresholds", default=DEFAULT_THRESHOLDS,
        help="attention thresholds: comma-separated values, start:stop:step ranges (stop included), "
             "or null quantiles q90, q95, q99 (default 0.0:0.9:0.1)",
    )
    parser.add_argument("--heads", choices=("max", "mean"), default="max", help="combine heads by (default max)")
    parser.add_argument("--null-shuffles", type=int, default=1,
                        help="dinucleotide shuffles per test sequence for the null (default 1)")
    parser.add_argument("--jaspar", action="store_true",
                        help="also match filters against all JASPAR2020 CORE vertebrate motifs")
    parser.add_argument("--max-sequences", type=int, default=None,
                        help="use only the first N test sequences (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed for shuffles and random pairs (default 0)")
    parser.add_argument("--batch-size", type=int, default=500, help="sequences per forward pass")
    parser.add_argument("--out", default=None, help="output directory (default RUN_DIR/interpret)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def parse_thresholds(text: str) -> list[tuple[float | None, str]]:
    """Parse ``--thresholds`` into ``(value, label)`` items; null quantiles get value None.

    Raises
    ------
    InputError
        A value outside [0, 1], a malformed range, or nothing at all.
    """
    items: list[tuple[float | None, str]] = []
    for token in (t.strip() for t in str(text).split(",")):
        if not token:
            continue
        if token in NULL_QUANTILES:
            items.append((None, token))
            continue
        try:
            parts = [float(p) for p in token.split(":")]
        except ValueError:
            raise InputError(f"--thresholds: cannot read {token!r} (use 0.1, 0.0:0.9:0.1 or q95)") from None
        if len(parts) == 3:
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise InputError(f"--thresholds: range {token!r} needs start <= stop and step > 0")
            values = list(np.round(np.arange(start, stop + step / 2, step), 10))
        elif len(parts) == 1:
            values = parts
        else:
            raise InputError(f"--thresholds: cannot read {token!r} (use 0.1, 0.0:0.9:0.1 or q95)")
        for value in values:
            if not (np.isfinite(value) and 0.0 <= value <= 1.0):
                raise InputError(f"--thresholds: {value:g} is outside [0, 1]")
            items.append((float(value), f"{value:g}"))
    if not items:
        raise InputError("--thresholds: no thresholds given")
    return items


def _check_arguments(args) -> list[tuple[float | None, str]]:
    thresholds = parse_thresholds(args.thresholds)
    if args.null_shuffles < 1:
        raise InputError(f"--null-shuffles must be at least 1, got {args.null_shuffles}")
    if args.max_sequences is not None and args.max_sequences < 1:
        raise InputError(f"--max-sequences must be at least 1, got {args.max_sequences}")
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    return thresholds


# every name interpret writes in its output directory (what --force may replace)
OUTPUT_NAMES = (
    "scores.json", "interactions.tsv", "filters.tsv", "maps.h5", "report.html", "attention_null.png",
    "interaction_map_glifac.png", "interaction_map_local.png", "metrics_vs_threshold.png", "filter_logos.png",
)


def _output_dir(args, run_dir: Path) -> Path:
    from glifac import rundir

    out = Path(args.out) if args.out else run_dir / "interpret"
    resolved, run_resolved = out.resolve(), run_dir.resolve()
    if resolved == run_resolved or resolved in run_resolved.parents:
        raise InputError(f"--out {out} would hold the run directory {run_dir}; choose another")
    if out.exists():
        if not args.force:
            raise InputError(f"{out} exists; pass --force to replace it")
        rundir.check_replaceable(out, OUTPUT_NAMES)
    return out


def run(args) -> int:
    from glifac import rundir

    started = time.perf_counter()
    thresholds = _check_arguments(args)
    run_dir = rundir.require_complete(args.run)
    if not (run_dir / "model.keras").is_file():
        raise InputError(f"no model.keras in {run_dir}")
    config = rundir.read_json(run_dir / rundir.CONFIG_FILE) if (run_dir / rundir.CONFIG_FILE).is_file() else {}
    data_path = args.data or (config.get("data") or {}).get("path")
    if not data_path:
        raise InputError(f"{run_dir} does not record its data file; pass --data")
    out = _output_dir(args, run_dir)

    import simulate

    dataset = simulate.load(data_path, splits=("test",))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        result = interpret(run_dir, dataset, thresholds, tmp, args, config)
        rundir.replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    _print_headline(result, out, time.perf_counter() - started, quiet=args.quiet)
    return 0


def interpret(run_dir: Path, dataset, thresholds, out: Path, args, config: dict) -> dict:
    """Run the whole interpretation into ``out``; returns the summary dict."""
    import architectures
    from analysis import dinucleotide_shuffle
    from glifac import rundir
    from analysis.extract import extract_attention_maps, extract_filter_ppms
    from glifac.progress import Progress, say

    verbose = not args.quiet
    say("loading model", verbose)
    model = architectures.load_model(run_dir / "model.keras")
    if not architectures.has_attention(model):
        raise InputError(f"model in {run_dir} has no attention layer")
    x = dataset.x_test if args.max_sequences is None else dataset.x_test[: args.max_sequences]
    length, n_tasks = model.input_shape[1], model.output_shape[-1]
    if x.shape[1] != length:
        raise InputError(f"data sequences have length {x.shape[1]}, the model expects {length}")
    if dataset.n_tasks != n_tasks:
        raise InputError(f"data has {dataset.n_tasks} tasks, the model predicts {n_tasks}")
    positions = model.get_layer(architectures.layers.POOL).output.shape[1]
    if positions is None or positions < 2:
        raise InputError(f"the model's attention sees {positions} position(s); interactions need at least 2")
    filter_width = int(model.get_layer(architectures.layers.CONV).kernel_size[0])
    batch = args.batch_size

    def probe(xb):
        return architectures.pooled_features_and_attention(model, xb, batch_size=batch)

    def conv_probe(xb):
        return architectures.conv_activations(model, xb, batch_size=batch)

    maps = extract_attention_maps(x, probe, batch_size=batch, heads=args.heads,
                                  progress=Progress("attention maps", len(x), verbose))
    say(f"dinucleotide-shuffling {len(x):,} x {args.null_shuffles} sequences", verbose)
    shuffled = dinucleotide_shuffle(x, n=args.null_shuffles, random_state=args.seed).reshape(-1, length, 4)
    null = extract_attention_maps(shuffled, probe, batch_size=batch, heads=args.heads, keep_features=False,
                                  progress=Progress("null attention maps", len(shuffled), verbose))
    del shuffled
    ppms, n_sites, _ = extract_filter_ppms(x, conv_probe, filter_width, batch_size=batch,
                                           progress=Progress("filter PPMs (2 passes)", 2 * len(x), verbose))
    return analyse(
        features=maps.features, attention=maps.attention, null_attention=null.attention,
        ppms=ppms, n_sites=n_sites, grammar=dataset.grammar, thresholds=thresholds, out=out,
        seed=args.seed, use_jaspar=args.jaspar, verbose=verbose,
        provenance={
            "run": str(run_dir), "data": str(dataset.path), "model": config.get("model", model.name),
            "n_sequences": int(len(x)), "seed": args.seed, "heads": args.heads,
            "null_shuffles": args.null_shuffles, "max_sequences": args.max_sequences, "jaspar": args.jaspar,
            "thresholds": args.thresholds, "data_sha256": rundir.sha256_file(dataset.path),
            "run_config": config,
        },
        classification=_classification(run_dir),
    )


def _classification(run_dir: Path) -> dict:
    """The run's test-set classification metrics (macro and per task), if recorded."""
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    keys = ("test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled", "test_auroc_per_task",
            "test_aupr_per_task")
    return {key: metrics[key] for key in keys if key in metrics}


def null_quantiles(null_attention: np.ndarray) -> dict[str, float]:
    """90/95/99% quantiles of off-diagonal null attention values."""
    n, length, _ = null_attention.shape
    off_diagonal = ~np.eye(length, dtype=bool)
    values = null_attention[:, off_diagonal]
    return {name: float(np.quantile(values, q)) for name, q in NULL_QUANTILES.items()}


def analyse(features, attention, null_attention, ppms, n_sites, grammar, thresholds, out: Path, seed: int,
            use_jaspar: bool, verbose: bool, provenance: dict, classification: dict | None = None) -> dict:
    """Maps, scores, tables, figures and report from extracted arrays (no model needed).

    Parameters
    ----------
    features : numpy.ndarray, shape (N, L', F)
    attention, null_attention : numpy.ndarray, shape (N, L', L') and (N0, L', L')
    ppms : numpy.ndarray, shape (F, W, 4)
    n_sites : numpy.ndarray, shape (F,)
    grammar : simulate.Grammar or None
    thresholds : list of (value or None, label)
    classification : dict, optional
        The run's test metrics (``test_auroc``, ``test_aupr``, per task), copied to scores.json.
    """
    classification = classification or {}
    from analysis import (
        filter_coverage,
        glifac_maps,
        information_content,
        interaction_metrics,
        jaspar_ppms,
        local_attention_maps,
        local_attention_scores,
        match_filters,
        motif_pair_table,
    )
    from glifac import plots, rundir
    from glifac.progress import say
    from glifac.report import write_report

    quantiles = null_quantiles(null_attention)
    values = [quantiles[label] if value is None else value for value, label in thresholds]
    labels_t = [f"null {label} = {quantiles[label]:.3f}" if value is None else label for value, label in thresholds]

    say("matching filters to motifs (Tomtom)", verbose)
    n_filters = ppms.shape[0]
    ic = information_content(ppms)
    filter_rows = [{"filter": f, "label": None, "qvalue": None, "pvalue": None, "information_content": float(ic[f]),
                    "n_sites": int(n_sites[f]), "jaspar_match": None} for f in range(n_filters)]
    labels: list[str | None] = [None] * n_filters
    coverage: dict = {}
    _, background = jaspar_ppms()
    if grammar is not None:
        names = grammar.motif_names
        matches = match_filters(ppms, [m.ppm for m in grammar.motifs], names, n_sites=n_sites,
                                background_ppms=background)
        labels = [m.label for m in matches]
        for row, match in zip(filter_rows, matches):
            row.update(label=match.label, best_motif=match.best_motif, qvalue=match.qvalue, pvalue=match.pvalue,
                       strand=match.strand)
        coverage = filter_coverage(labels, names)
        coverage["n_filters_matched"] = int(sum(label is not None for label in labels))
    if use_jaspar:
        jaspar_names, jaspar_all = jaspar_ppms(with_ids=True)
        hits = match_filters(ppms, jaspar_all, jaspar_names, n_sites=n_sites)
        for row, hit in zip(filter_rows, hits):
            row["jaspar_match"] = hit.label
            row["jaspar_qvalue"] = hit.qvalue
        coverage["n_filters_jaspar_only"] = int(
            sum(row["jaspar_match"] is not None and row["label"] is None for row in filter_rows))

    say(f"GLIFAC and local attention at {len(values)} thresholds", verbose)
    glifac = glifac_maps(features, attention, values, random_state=seed)
    local = local_attention_maps(features, attention, values)

    scored = grammar is not None and bool(grammar.interactions) and any(label is not None for label in labels)
    skip_reason = None
    if grammar is None:
        skip_reason = "the dataset has no ground-truth grammar"
    elif not grammar.interactions:
        skip_reason = "the grammar has no interactions"
    elif not scored:
        skip_reason = "no filter matched a grammar motif"
    truth = grammar.interaction_pairs() if grammar is not None else []
    truth_pairs = [(a, b) for a, b, _ in truth]

    score_rows: dict[str, list[dict]] = {"glifac": [], "local": []}
    for k, (value, label) in enumerate(zip(values, labels_t)):
        local_sym = _symmetric_counts(local.counts[k])
        base = {"threshold": value, "threshold_label": label}
        g_row = {**base, "n_pairs": int(glifac.n_attended[k]), "n_random_pairs": int(glifac.n_random[k])}
        l_row = {**base, "n_pairs": int(local.n_pairs[k])}
        if scored and glifac.n_attended[k] == 0:
            # an all-zero map would score AUROC 0.5 as if measured
            for row in (g_row, l_row):
                row.update(auroc=None, aupr=None, snr=None, reason="no attended pairs at this threshold")
        elif scored:
            g_row.update(_metrics(interaction_metrics, glifac.maps[k], labels, truth_pairs,
                                  authors_filters=ic > AUTHORS_MIN_INFORMATION))
            l_row.update(_metrics(interaction_metrics, local_sym, labels, truth_pairs))
            instance_scores = local_attention_scores(local.counts[k], labels, truth_pairs)
            if instance_scores.get("reason"):
                instance_scores["instance_reason"] = instance_scores["reason"]
            instance_scores.pop("reason", None)  # keep the ranking metrics' reason
            l_row.update(instance_scores)
        score_rows["glifac"].append(g_row)
        score_rows["local"].append(l_row)

    headline_k = int(np.argmin([abs(v - HEADLINE_THRESHOLD) for v in values]))
    interactions = {}
    if grammar is not None and any(label is not None for label in labels):
        interactions = {
            "glifac": motif_pair_table(glifac.maps[headline_k], labels, truth_pairs),
            "local": motif_pair_table(_symmetric_counts(local.counts[headline_k]), labels, truth_pairs),
        }
        for rows in interactions.values():
            for rank, row in enumerate(rows, 1):
                row["rank"] = rank

    say("writing tables, figures and report", verbose)
    scores = {
        "glifac": score_rows["glifac"], "local": score_rows["local"],
        "headline_threshold": values[headline_k],
        "null_quantiles": quantiles,
        "filters": coverage,
        "classification": classification,
        "scored": scored, "skip_reason": skip_reason,
        "ground_truth": [{"motifs": [a, b], "logic": logic} for a, b, logic in truth],
        "provenance": provenance,
        "versions": rundir.package_versions(),
    }
    rundir.atomic_write_json(out / "scores.json", scores)
    _write_tsv(out / "filters.tsv", filter_rows,
               ["filter", "label", "best_motif", "qvalue", "pvalue", "strand", "information_content", "n_sites",
                "jaspar_match"])
    _write_tsv(out / "interactions.tsv",
               [{"method": method, **row} for method, rows in interactions.items() for row in rows],
               ["method", "rank", "motif_a", "motif_b", "score", "filter_a", "filter_b", "n_filter_pairs",
                "is_true"])
    _save_maps(out / "maps.h5", values, labels_t, glifac, local, ppms, labels,
               provenance={**provenance, "versions": scores["versions"]})

    figures = {}
    off_diagonal = ~np.eye(attention.shape[1], dtype=bool)
    rng = np.random.default_rng(seed)
    real_values = _sample(attention[:, off_diagonal], rng)
    null_values = _sample(null_attention[:, off_diagonal], rng)
    figures["Attention values: test sequences vs dinucleotide-shuffled null"] = plots.attention_histogram(
        real_values, null_values, quantiles, out / "attention_null.png")
    if grammar is not None and interactions:
        names = grammar.motif_names
        truth_matrix = _motif_matrix(names, [{"motif_a": a, "motif_b": b, "score": 1.0} for a, b in truth_pairs])
        for method, title in (("glifac", "GLIFAC"), ("local", "Local attention")):
            figures[f"Interaction map: {title} (threshold {labels_t[headline_k]})"] = plots.interaction_map(
                _motif_matrix(names, interactions[method]), np.nan_to_num(truth_matrix), names,
                f"{title}, threshold {labels_t[headline_k]}", out / f"interaction_map_{method}.png")
    if scored:
        figures["AUROC, AUPR and SNR against attention threshold"] = plots.metrics_vs_threshold(
            score_rows, out / "metrics_vs_threshold.png")
    titles = [f"f{f}: {row['label'] or '–'} ({row['information_content']:.1f} bits)"
              for f, row in enumerate(filter_rows)]
    figures["First-layer filter logos"] = plots.filter_logos(ppms, titles, out / "filter_logos.png")

    headline = []
    if scored:
        for method in ("glifac", "local"):
            row = score_rows[method][headline_k]
            headline.append({"method": method, **{k: row.get(k) for k in (
                "threshold", "auroc", "aupr", "snr", "snr_top100", "tpr", "ppv")}})
    summary = {**provenance, "test_auroc": classification.get("test_auroc"),
               "test_aupr": classification.get("test_aupr"), "versions": scores["versions"],
               "scored": scored, "skip_reason": skip_reason,
               "headline": headline, "coverage": coverage}
    write_report(out / "report.html", summary, scores, interactions, filter_rows, figures)
    return summary


def _symmetric_counts(counts: np.ndarray) -> np.ndarray:
    """Local-attention count map (F, F) made symmetric by the larger direction, as the authors do."""
    return np.maximum(counts, counts.T).astype(float)


def _metrics(interaction_metrics, score_map, labels, truth_pairs, authors_filters=None) -> dict:
    """Our metrics over labelled filter pairs, plus the authors' variants over their candidates.

    The authors' evaluation (``InteractionPipeline.py``) also counts pairs with
    an unlabelled filter as negatives and, for GLIFAC, first drops filters whose
    PPM holds at most 0.5 bits (``authors_filters`` marks the rest);
    ``snr_top100``, ``aupr_trapezoid``, ``auroc_authors`` and ``aupr_authors``
    are computed over that candidate set so they can be compared with the paper.
    """
    ours = interaction_metrics(score_map, labels, truth_pairs)
    authors = interaction_metrics(score_map, labels, truth_pairs, include_unlabelled=True,
                                  candidate_filters=authors_filters)
    ours.update(snr_top100=authors["snr_top100"], aupr_trapezoid=authors["aupr_trapezoid"],
                auroc_authors=authors["auroc"], aupr_authors=authors["aupr"])
    return ours


def _sample(values: np.ndarray, rng, size: int = 2_000_000) -> np.ndarray:
    """At most ``size`` values for a histogram (drawn with replacement: no N-long permutation)."""
    values = values.ravel()
    return values if values.size <= size else values[rng.integers(0, values.size, size)]


def _motif_matrix(names: list[str], rows: list[dict]) -> np.ndarray:
    """Symmetric (M, M) matrix of motif-pair scores (NaN where absent)."""
    index = {name: k for k, name in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    for row in rows:
        a, b = index.get(row["motif_a"]), index.get(row["motif_b"])
        if a is not None and b is not None and row["score"] is not None:
            matrix[a, b] = matrix[b, a] = row["score"]
    return matrix


def _write_tsv(path: Path, rows: list[dict], columns: list[str]) -> None:
    from glifac.rundir import atomic_write_text

    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    lines = ["\t".join(columns)] + ["\t".join(cell(row.get(c)) for c in columns) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _save_maps(path: Path, values, labels_t, glifac, local, ppms, labels, provenance: dict) -> None:
    """``maps.h5``: thresholds (T,), glifac (T, F, F) symmetrized, glifac_raw (T, F, F),
    local_counts (T, F, F) (query filter, key filter), filter_ppms (F, W, 4), filter_labels (F,);
    attribute ``provenance``: JSON of the run, data, seed, options and versions."""
    import h5py

    from glifac.rundir import atomic_path, to_jsonable

    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            f["thresholds"] = np.asarray(values, dtype=float)
            f["threshold_labels"] = np.array(labels_t, dtype=h5py.string_dtype())
            f["glifac"] = glifac.maps
            f["glifac_raw"] = glifac.raw
            f["local_counts"] = local.counts
            f["filter_ppms"] = ppms
            f["filter_labels"] = np.array([label or "" for label in labels], dtype=h5py.string_dtype())
            f.attrs["provenance"] = json.dumps(to_jsonable(provenance))


def _print_headline(summary: dict, out: Path, seconds: float, quiet: bool) -> None:
    if summary["scored"]:
        print(f"{'method':<8} {'thresh':>6} {'AUROC':>6} {'AUPR':>6} {'SNR(z)':>7} {'TPR':>5} {'PPV':>5}")
        for row in summary["headline"]:
            def f(key, width, digits=3):
                value = row.get(key)
                return f"{value:>{width}.{digits}f}" if isinstance(value, (int, float)) else f"{'-':>{width}}"
            print(f"{row['method']:<8} {f('threshold', 6, 2)} {f('auroc', 6)} {f('aupr', 6)} {f('snr', 7, 2)} "
                  f"{f('tpr', 5, 2)} {f('ppv', 5, 2)}")
        cov = summary["coverage"]
        print(f"filters matched: {cov.get('n_filters_matched', 0)}, motif coverage {cov.get('coverage', 0):.2f}")
    else:
        print(f"scoring skipped: {summary['skip_reason']}")
    print(f"report: {out / 'report.html'}")
    if not quiet:
        print(f"done in {seconds:.1f} s")
