"""Interpret any Keras convolution-attention model on the user's own sequences (:func:`interpret_model`).

``glifac interpret --model MODEL.keras --data SEQS.fa`` runs the same analysis
as ``glifac interpret --run RUN`` on a model built and trained elsewhere:

* the sequences come from FASTA (plain or gzip), a dataset file or a one-hot
  ``.npy`` (:mod:`simulate.sequences`);
* the convolution, pooling and attention layers are found by type along the
  graph, or named (:mod:`architectures.discover`);
* filters are labelled against a motif set: JASPAR (offline; collection and
  taxon selectable) or a MEME file (:mod:`simulate.motif_files`); a simulated
  dataset brings its own grammar;
* with ``truth`` (a TSV of motif pairs) the maps are scored as usual; without
  it the outputs hold the ranked motif pairs of GLIFAC and local attention, the
  maps, the filter logos, the null distribution and ``report.html``, whose
  scores section says "no ground truth: scores not computed".

The output directory has the layout of :mod:`glifac.interpretation.outputs`.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from glifac.interpretation.config import InterpretConfig
from simulate.errors import InputError
from simulate.validate import check_fields


@dataclass(frozen=True)
class ModelSource:
    """Where the model's parts and the reference motifs come from (options of ``glifac interpret --model``).

    Parameters
    ----------
    conv_layer, feature_layer, attention_layer : str or None
        Layer names, when the search by type is ambiguous.
    motifs : str
        ``"jaspar"`` or the path of a MEME-format motif file. A simulated
        dataset file brings its grammar, which is used unless this is set.
    jaspar_collection : str
    jaspar_taxon : str
        A JASPAR taxonomic group (``vertebrates``, ``insects``, ...) or ``all``.
    truth : str or None
        TSV of ground-truth motif pairs (``motif_a<TAB>motif_b[<TAB>logic]``).
    task_names : str or None
        Comma-separated names of the model's outputs (recorded).
    """

    conv_layer: Optional[str] = None
    feature_layer: Optional[str] = None
    attention_layer: Optional[str] = None
    motifs: Optional[str] = None
    jaspar_collection: str = "CORE"
    jaspar_taxon: str = "vertebrates"
    truth: Optional[str] = None
    task_names: Optional[str] = None

    def __post_init__(self):
        check_fields(self)


def load_user_model(path):
    """A user's ``.keras`` (or legacy ``.h5``) model, loaded with safe mode on; clear messages when it cannot be."""
    import keras

    import architectures.layers  # noqa: F401  registers glifac's exponential activation

    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for unreadable files
        text = str(exc)
        reason = (text.strip().splitlines() or [type(exc).__name__])[0]
        missing = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
        if missing or "Unknown layer" in text:
            what = f"'{missing.group(1)}'" if missing else "custom objects"
            raise InputError(f"cannot load {path}: it needs {what}, which Keras does not know (custom objects); "
                             "register them with @keras.saving.register_keras_serializable and import them "
                             "first, or rebuild the model from built-in layers") from None
        if path.suffix.lower() in (".h5", ".hdf5"):
            raise InputError(f"cannot load {path}: Keras 3 could not read this tf.keras .h5 file ({reason}); "
                             "re-save it as .keras with the TensorFlow that wrote it (model.save('model.keras'))") \
                from None
        raise InputError(f"cannot load model {path}: {reason}") from None


def reference_for(source: ModelSource, sequences):
    """The grammar to label and score against: the data's own, or the motif set with the truth pairs."""
    from simulate.jaspar import jaspar_ppms
    from simulate.motif_files import read_meme, read_truth, reference_grammar

    if source.motifs is None and sequences.grammar is not None:
        if source.truth is not None:
            raise InputError("--truth replaces a grammar only together with --motifs; this dataset has its grammar")
        return sequences.grammar
    motifs_option = source.motifs or "jaspar"
    if motifs_option == "jaspar":
        taxon = None if source.jaspar_taxon == "all" else source.jaspar_taxon
        names, ppms = jaspar_ppms(collection=source.jaspar_collection, tax_group=taxon)
        motifs = list(zip(names, ppms))
        description = f"JASPAR2020 {source.jaspar_collection} {source.jaspar_taxon}"
    else:
        motifs = read_meme(motifs_option)
        description = f"MEME file {motifs_option}"
    truth = read_truth(source.truth, [name for name, _ in motifs]) if source.truth else []
    return reference_grammar(motifs, truth, description)


def interpret_model(model_path, data, config: InterpretConfig | None = None, out=None, *,
                    source: ModelSource | None = None, force: bool = False, quiet: bool = False):
    """Interpret a user's model on their sequences and write the outputs (see the module docstring).

    Parameters
    ----------
    model_path : str or Path
        ``.keras`` file (safe mode on).
    data : str or Path
        FASTA (plain or gzip), a dataset ``.h5`` or a one-hot ``.npy``.
    config : InterpretConfig, optional
    out : str or Path, optional
        Output directory (default ``<model file stem>-interpret`` in the current directory).
    source : ModelSource, optional
    force, quiet : bool

    Returns
    -------
    glifac.interpretation.InterpretResult

    Raises
    ------
    InputError
        A model that cannot be loaded or has no attention, sequences of the
        wrong length, a bad motif or truth file, an output that exists without ``force``.
    """
    from glifac.interpretation.outputs import OUTPUT_NAMES
    from glifac.interpretation.pipeline import InterpretResult
    from simulate.files import atomic_directory, check_output_dir

    started = time.perf_counter()
    config = InterpretConfig() if config is None else config
    source = ModelSource() if source is None else source
    out = Path(out) if out is not None else Path(f"{Path(model_path).stem}-interpret")
    check_output_dir(out, OUTPUT_NAMES, force)
    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    from architectures.discover import CanProbe, find_can_layers
    from simulate.sequences import read_sequences

    model = load_user_model(model_path)
    layers = find_can_layers(model, source.conv_layer, source.feature_layer, source.attention_layer)
    n_outputs = model.output_shape[-1] if not isinstance(model.output_shape, list) else None
    task_names = [t.strip() for t in source.task_names.split(",")] if source.task_names else None
    if task_names is not None and n_outputs is not None and len(task_names) != n_outputs:
        raise InputError(f"{len(task_names)} task names for a model with {n_outputs} outputs")
    sequences = read_sequences(data, expected_length=int(model.input_shape[1]))
    grammar = reference_for(source, sequences)
    x = sequences.x if config.max_sequences is None else sequences.x[: config.max_sequences]
    probe = CanProbe(model, layers)
    if model.get_layer(layers.feature).output.shape[1] < 2:
        raise InputError("the model's attention sees fewer than 2 positions; interactions need at least 2")
    placements = sequences.placements
    if placements is not None:
        placements = placements[placements[:, 0] < len(x)]
    with atomic_directory(out) as tmp:
        summary = _analyse_into(tmp, model_path, sequences, x, grammar, probe, layers, config, source, task_names,
                                placements, verbose=not quiet)
    return InterpretResult(out=out, summary=summary, seconds=time.perf_counter() - started)


def _analyse_into(out, model_path, sequences, x, grammar, probe, layers, config, source, task_names, placements,
                  verbose):
    from glifac.interpretation.pipeline import extract_arrays, interpret_arrays
    from glifac.progress import say
    from simulate.files import sha256_file

    say(f"layers: conv {layers.conv!r} (activations at {layers.activation!r}), features {layers.feature!r}, "
        f"attention {layers.attention!r}", verbose)
    batch = config.batch_size
    maps, null, ppms, n_sites = extract_arrays(
        x, lambda xb: probe.features_and_attention(xb, batch), lambda xb: probe.conv_activations(xb, batch),
        probe.filter_width, config, verbose)
    provenance = {
        "run": None, "model": str(Path(model_path).resolve()), "model_sha256": sha256_file(model_path),
        "data": str(Path(sequences.path).resolve()), "data_sha256": sha256_file(sequences.path),
        "n_sequences": int(len(x)), **config.to_dict(), "layers": asdict(layers), "source": asdict(source),
        "task_names": task_names, "reference": grammar.description or "the dataset's grammar",
    }
    return interpret_arrays(out, maps.features, maps.attention, null.attention, ppms, n_sites, grammar, config,
                            provenance, placements=placements, verbose=verbose)
