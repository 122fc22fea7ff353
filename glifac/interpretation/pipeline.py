"""Which motifs and motif interactions did a trained CAN learn? :func:`interpret`, the library call
under ``glifac interpret``.

Steps (each a pure function in :mod:`analysis`):

1. stream the test split through the model: pooled feature maps (N, L', F) and
   attention aggregated over heads (N, L', L');
2. the same for dinucleotide-shuffled test sequences: the null attention
   distribution and its 90/95/99% quantiles;
3. first-layer filter PPMs from activation-aligned windows, matched to the
   grammar's motifs with Tomtom;
4. GLIFAC correlation maps and local-attention count maps at every threshold,
   scored against the grammar's interactions (:mod:`.analyse`);
5. tables, maps, figures and report.html (:mod:`.outputs`, where the layout is documented).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from glifac.interpretation.config import InterpretConfig
from simulate.errors import InputError


@dataclass(frozen=True)
class InterpretResult:
    """What :func:`interpret` returns.

    Attributes
    ----------
    out : Path
        The output directory (layout: :mod:`glifac.interpretation.outputs`).
    summary : dict
        Provenance, the run's test metrics, ``scored``, ``skip_reason``,
        ``headline`` (one row per method at threshold 0.1) and ``coverage``.
    seconds : float
    """

    out: Path
    summary: dict
    seconds: float

    @property
    def scores(self) -> dict:
        """The contents of ``scores.json``."""
        from simulate.files import read_json

        return read_json(self.out / "scores.json")


def interpret(run, config: InterpretConfig | None = None, out=None, *, data=None, force: bool = False,
              quiet: bool = False) -> InterpretResult:
    """Interpret a complete run directory and write the outputs.

    Parameters
    ----------
    run : str or Path
        A complete run directory written by :func:`glifac.train`.
    config : InterpretConfig, optional
        Default settings when omitted.
    out : str or Path, optional
        Output directory (default ``RUN/interpret``).
    data : str or Path, optional
        Dataset file (default: the one the run was trained on).
    force : bool
        Replace an existing output directory (only one holding interpret's own files).
    quiet : bool
        No progress display.

    Raises
    ------
    InputError
        An incomplete run, missing data, a model without attention, data that
        does not fit the model, or an output directory that exists without ``force``.
    """
    from glifac import rundir
    from glifac.interpretation.outputs import OUTPUT_NAMES
    from simulate.files import atomic_directory, check_output_dir

    started = time.perf_counter()
    config = InterpretConfig() if config is None else config
    if not isinstance(config, InterpretConfig):
        raise InputError(f"config must be an InterpretConfig, got {type(config).__name__}")
    run_dir, run_config, data_path = rundir.open_run(run, data)
    if not (run_dir / "model.keras").is_file():
        raise InputError(f"no model.keras in {run_dir}")
    out = Path(out) if out is not None else run_dir / "interpret"
    resolved, run_resolved = out.resolve(), run_dir.resolve()
    if resolved == run_resolved or resolved in run_resolved.parents:
        raise InputError(f"--out {out} would hold the run directory {run_dir}; choose another")
    check_output_dir(out, OUTPUT_NAMES, force)

    import simulate

    dataset = simulate.load(data_path, splits=("test",))
    with atomic_directory(out) as tmp:
        summary = _interpret_into(tmp, run_dir, run_config, dataset, config, verbose=not quiet)
    return InterpretResult(out=out, summary=summary, seconds=time.perf_counter() - started)


def _interpret_into(out: Path, run_dir: Path, run_config: dict, dataset, config: InterpretConfig,
                    verbose: bool) -> dict:
    """Extract arrays from the model, analyse them and write everything into ``out``."""
    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import architectures
    from glifac.progress import say
    from simulate.files import read_json, sha256_file

    say("loading model", verbose)
    model = architectures.load_model(run_dir / "model.keras")
    if not architectures.has_attention(model):
        raise InputError(f"model in {run_dir} has no attention layer")
    x = dataset.x_test if config.max_sequences is None else dataset.x_test[: config.max_sequences]
    length, n_tasks = model.input_shape[1], model.output_shape[-1]
    if x.shape[1] != length:
        raise InputError(f"data sequences have length {x.shape[1]}, the model expects {length}")
    if dataset.n_tasks != n_tasks:
        raise InputError(f"data has {dataset.n_tasks} tasks, the model predicts {n_tasks}")
    positions = model.get_layer(architectures.layers.POOL).output.shape[1]
    if positions is None or positions < 2:
        raise InputError(f"the model's attention sees {positions} position(s); interactions need at least 2")
    filter_width = int(model.get_layer(architectures.layers.CONV).kernel_size[0])
    batch = config.batch_size

    def probe(xb):
        return architectures.pooled_features_and_attention(model, xb, batch_size=batch)

    def conv_probe(xb):
        return architectures.conv_activations(model, xb, batch_size=batch)

    maps, null, ppms, n_sites = extract_arrays(x, probe, conv_probe, filter_width, config, verbose)
    provenance = {
        "run": str(run_dir), "data": str(dataset.path), "model": run_config.get("model", model.name),
        "n_sequences": int(len(x)), **config.to_dict(), "data_sha256": sha256_file(dataset.path),
        "generator_version": dataset.generator_version, "run_config": run_config,
    }
    try:
        metrics = read_json(run_dir / "metrics.json")
    except InputError:
        metrics = {}
    keys = ("test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled", "test_auroc_per_task",
            "test_aupr_per_task")
    classification = {key: metrics[key] for key in keys if key in metrics}
    return interpret_arrays(out, maps.features, maps.attention, null.attention, ppms, n_sites, dataset.grammar,
                            config, provenance, classification, placements=dataset.arrays.get("placements_test"),
                            verbose=verbose)


def extract_arrays(x, probe, conv_probe, filter_width: int, config: InterpretConfig, verbose: bool):
    """Attention maps of ``x`` and of its dinucleotide shuffles, and the first-layer filter PPMs.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, L, 4)
    probe : callable
        ``probe(x_batch) -> (features (B, L', F), scores (B, H, L', L'))``.
    conv_probe : callable
        ``conv_probe(x_batch) -> activations (B, L, F)`` ("same"-padded layout).
    filter_width : int
    config : InterpretConfig
        ``heads``, ``null_shuffles``, ``seed`` and ``batch_size`` are used.

    Returns
    -------
    maps, null : analysis.extract.AttentionMaps
    ppms : numpy.ndarray, shape (F, W, 4)
    n_sites : numpy.ndarray, shape (F,)
    """
    from analysis import dinucleotide_shuffle
    from analysis.extract import extract_attention_maps, extract_filter_ppms
    from glifac.progress import Progress, say

    batch = config.batch_size
    maps = extract_attention_maps(x, probe, batch_size=batch, heads=config.heads,
                                  progress=Progress("attention maps", len(x), verbose))
    say(f"dinucleotide-shuffling {len(x):,} x {config.null_shuffles} sequences", verbose)
    shuffled = dinucleotide_shuffle(x, n=config.null_shuffles, random_state=config.seed).reshape(-1, x.shape[1], 4)
    null = extract_attention_maps(shuffled, probe, batch_size=batch, heads=config.heads, keep_features=False,
                                  progress=Progress("null attention maps", len(shuffled), verbose))
    del shuffled
    ppms, n_sites, _ = extract_filter_ppms(x, conv_probe, filter_width, batch_size=batch,
                                           progress=Progress("filter PPMs (2 passes)", 2 * len(x), verbose))
    return maps, null, ppms, n_sites


def interpret_arrays(out: Path, features, attention, null_attention, ppms, n_sites, grammar,
                     config: InterpretConfig, provenance: dict, classification: dict | None = None,
                     placements=None, verbose: bool = False) -> dict:
    """Analyse extracted arrays and write every output into the existing directory ``out``.

    The model-free half of :func:`interpret`, for arrays extracted elsewhere.

    Parameters
    ----------
    features : numpy.ndarray, shape (N, L', F)
    attention, null_attention : numpy.ndarray, shape (N, L', L') and (N0, L', L')
    ppms : numpy.ndarray, shape (F, W, 4)
    n_sites : numpy.ndarray, shape (F,)
    grammar : simulate.Grammar or None
    config : InterpretConfig
    provenance : dict
        Recorded in scores.json and maps.h5 (at least ``run``, ``data``, ``model``, ``n_sequences``, ``seed``).
    classification : dict, optional
        The model's test metrics, copied to scores.json.
    placements : numpy.ndarray, shape (M, 4), optional
        The sequences' planted instances, for the co-occurrence control.

    Returns
    -------
    dict
        The summary (see :class:`InterpretResult`).
    """
    from glifac.interpretation.analyse import analyse
    from glifac.interpretation.outputs import write_outputs
    from glifac.progress import say

    analysis = analyse(features, attention, null_attention, ppms, n_sites, grammar, config, placements=placements,
                       verbose=verbose)
    say("writing tables, figures and report", verbose)
    return write_outputs(out, analysis, attention, null_attention, ppms, grammar, provenance,
                         classification or {}, seed=config.seed)


def print_headline(result: InterpretResult, quiet: bool = False) -> None:
    """The short table ``glifac interpret`` and ``glifac demo`` print."""
    summary = result.summary
    if summary["scored"]:
        print(f"{'method':<13} {'thresh':>6} {'AUROC':>6} {'AUPR':>6} {'SNR(z)':>7} {'TPR':>5} {'PPV':>5} "
              f"{'motifAUROC':>10} {'vsDecoys':>8}")
        for row in summary["headline"]:
            def f(key, width, digits=3):
                value = row.get(key)
                finite = isinstance(value, (int, float)) and value == value
                return f"{value:>{width}.{digits}f}" if finite else f"{'-':>{width}}"
            print(f"{row['method']:<13} {f('threshold', 6, 2)} {f('auroc', 6)} {f('aupr', 6)} {f('snr', 7, 2)} "
                  f"{f('tpr', 5, 2)} {f('ppv', 5, 2)} {f('motif_auroc', 10)} {f('motif_auroc_vs_decoys', 8)}")
        cov = summary["coverage"]
        scope = f", {cov['motif_scope']} covered {cov['coverage']:.2f}" if "coverage" in cov else ""
        print(f"filters matched: {cov.get('n_filters_matched', 0)}{scope}")
    else:
        print(f"scoring skipped: {summary['skip_reason']}")
    print(f"report: {result.out / 'report.html'}")
    if not quiet:
        print(f"done in {result.seconds:.1f} s")
