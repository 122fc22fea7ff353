"""Run directories: their layout, their state (complete, failed, incomplete) and their provenance.

A run directory, written by ``glifac train`` (:func:`glifac.training.train`)::

    .incomplete     present from the first moment until the run finished
    config.json     the request: ``model`` (preset name), ``model_config`` (every
                    architectures.ModelConfig field), ``training`` (every
                    TrainingConfig field, ``recipe`` among them), ``seed``,
                    ``data`` (path, sha256, generator_version, n_train, n_valid,
                    n_test, task_names), ``versions`` (Python, glifac, NumPy,
                    Keras, TensorFlow, ...), ``created`` (UTC), ``command``
                    (argv); each ``--resume`` appends to ``resumed``
    history.csv     one row per epoch: epoch, loss, val_loss, val_accuracy,
                    val_auroc, val_aupr, val_auroc_pooled, val_aupr_pooled, lr, seconds
                    (glifac.training.monitor.HISTORY_FIELDS)
    checkpoint/     checkpoint.npz, what --resume needs (glifac.training.checkpoint);
                    deleted when the run ends
    model.keras     the kept epoch's model (complete runs only; reload with
                    architectures.load_model, safe_mode on)
    metrics.json    written last. Complete: ``status`` "complete",
                    ``test_accuracy`` (analysis.accuracy for the
                    model's head), ``test_auroc``, ``test_aupr`` (macro means of per-task
                    scikit-learn scores), ``test_auroc_pooled``,
                    ``test_aupr_pooled`` (all labels flattened, as
                    keras.metrics.AUC computes them: the paper's metric),
                    ``test_loss``, ``test_auroc_per_task``,
                    ``test_aupr_per_task``, ``best_epoch``, ``monitor``,
                    ``best_monitor_value``, ``best_val_aupr``, ``epochs_run``,
                    ``stopped_early``, ``train_seconds``. Failed: ``status``
                    "failed", ``reason``, ``epochs_run``, ``history``.
    interpret/      ``glifac interpret``'s default output (its layout:
                    glifac.interpretation.outputs)

A run is complete only when ``metrics.json`` says ``"status": "complete"``
*and* the ``.incomplete`` marker is gone. The marker is written first and
removed last, and every file is written under a temporary name and renamed
(simulate.files), so a run that is interrupted or killed at any point never
looks complete.

No TensorFlow/Keras import here: saving a model goes through the model's own
``save`` method.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import platform
import shutil
import sys
from pathlib import Path

from simulate.errors import InputError
from simulate.files import atomic_path, atomic_write_json, read_json

INCOMPLETE_MARKER = ".incomplete"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.json"
# Files whose presence says "this directory was made by a glifac command".
_RUN_FILES = (INCOMPLETE_MARKER, METRICS_FILE, CONFIG_FILE)


def atomic_save_model(model, path) -> Path:
    """``model.save(path)`` through a temporary ``.keras`` file and a rename.

    Parameters
    ----------
    model : keras.Model
    path : str or Path
        Must end with ``.keras``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model path must end with .keras: {path}")
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)  # overwrites the empty placeholder
    return path


# ------------------------------------------------------------- provenance
def package_versions(names=("numpy", "scipy", "h5py", "scikit-learn", "keras", "tensorflow")) -> dict:
    """Versions of Python, glifac and ``names`` (``None`` when not installed).

    Imported modules report their ``__version__``; others are read from
    package metadata so that recording versions never imports TensorFlow.
    """
    from importlib import metadata

    from glifac._version import __version__

    versions = {"python": platform.python_version(), "platform": platform.platform(),
                "glifac": __version__}
    # distribution names that may provide a module (tensorflow ships as -cpu too)
    dists = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "scikit-learn": ("scikit-learn",)}
    modules = {"scikit-learn": "sklearn"}
    for name in names:
        module = sys.modules.get(modules.get(name, name))
        version = getattr(module, "__version__", None)
        for dist in dists.get(name, (name,)):
            if version is not None:
                break
            try:
                version = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
        versions[name] = version
    return versions


def utc_now() -> str:
    """Current UTC time, ISO 8601, second precision."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def write_config(run_dir, config: dict) -> Path:
    """Write ``config.json``: ``config`` plus ``versions``, ``created`` and ``command``."""
    record = {
        **config,
        "versions": package_versions(),
        "created": utc_now(),
        "command": list(sys.argv),
    }
    return atomic_write_json(Path(run_dir) / CONFIG_FILE, record)


def record_resume(run_dir, updates: dict) -> Path:
    """Apply ``updates`` to ``config.json`` and append the resume's time, command and versions
    to its ``resumed`` list, keeping the original ``created``, ``command`` and ``versions``."""
    path = Path(run_dir) / CONFIG_FILE
    record = read_json(path)
    record.update(updates)
    record.setdefault("resumed", []).append(
        {"at": utc_now(), "command": list(sys.argv), "versions": package_versions()})
    return atomic_write_json(path, record)


# ------------------------------------------------------------- run state
def run_status(run_dir) -> str:
    """State of a run directory.

    Returns
    -------
    str
        ``"missing"`` (no directory), ``"complete"``, ``"failed"`` (finished
        but diverged or otherwise failed; see ``metrics.json["reason"]``), or
        ``"incomplete"`` (in progress, interrupted or killed).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return "missing"
    if (run_dir / INCOMPLETE_MARKER).exists():
        return "incomplete"
    metrics = run_dir / METRICS_FILE
    if not metrics.is_file():
        return "incomplete"
    try:
        status = json.loads(metrics.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return "incomplete"
    return status if status in ("complete", "failed") else "incomplete"


def is_complete(run_dir) -> bool:
    """True only for a run that finished successfully."""
    return run_status(run_dir) == "complete"


def require_complete(run_dir) -> Path:
    """Return ``run_dir`` as a Path; raise InputError unless it is complete."""
    status = run_status(run_dir)
    if status == "missing":
        raise InputError(f"run directory not found: {run_dir}")
    if status != "complete":
        raise InputError(f"run {run_dir} is {status}, not complete")
    return Path(run_dir)


def looks_like_run_dir(path) -> bool:
    """True if ``path`` is empty or holds files a glifac command writes."""
    path = Path(path)
    return path.is_dir() and (not any(path.iterdir()) or any((path / f).exists() for f in _RUN_FILES))


def prepare_run_dir(run_dir, *, force: bool = False, resume: bool = False) -> str:
    """Create (or reuse, or wipe) an output directory and mark it incomplete.

    Parameters
    ----------
    run_dir : str or Path
    force : bool
        Delete an existing run directory and start over. Refuses directories
        that do not look like run directories, so ``--force`` cannot wipe an
        unrelated folder.
    resume : bool
        Continue an existing incomplete run.

    Returns
    -------
    str
        ``"new"`` or ``"resume"``.

    Raises
    ------
    InputError
        Directory exists without ``force``/``resume``; nothing to resume;
        run already finished; both flags; path is a file.
    """
    run_dir = Path(run_dir)
    if force and resume:
        raise InputError("--force and --resume are mutually exclusive")
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"{run_dir} exists and is not a directory")
    status = run_status(run_dir)
    if resume:
        if status == "missing":
            raise InputError(f"nothing to resume: {run_dir} does not exist")
        if status in ("complete", "failed"):
            raise InputError(f"run {run_dir} already finished ({status}); use --force to start over")
        return "resume"
    if status != "missing":
        if not force:
            raise InputError(
                f"{run_dir} exists; pass --force to overwrite it or --resume to continue it"
            )
        if not looks_like_run_dir(run_dir):
            raise InputError(f"refusing to overwrite {run_dir}: it does not look like a run directory")
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / INCOMPLETE_MARKER).write_text("run in progress or interrupted\n")
    return "new"


def mark_finished(run_dir) -> None:
    """Remove the incomplete marker (call after ``metrics.json`` is written)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(run_dir) / INCOMPLETE_MARKER).unlink()


def open_run(run, data=None) -> tuple[Path, dict, str]:
    """``(run_dir, config.json contents, data path)`` of a complete run, for the commands that read one.

    ``data`` overrides the dataset the run recorded. Raises InputError for an
    incomplete run or when no dataset is known.
    """
    from simulate.files import read_json

    run_dir = require_complete(run)
    run_config = read_json(run_dir / CONFIG_FILE) if (run_dir / CONFIG_FILE).is_file() else {}
    data_path = data or (run_config.get("data") or {}).get("path")
    if not data_path:
        raise InputError(f"{run_dir} does not record its data file; pass --data")
    return run_dir, run_config, str(data_path)


def load_run_model(run_dir, run_config: dict):
    """``(keras model, architectures.ModelConfig)`` of a complete run (safe-mode load)."""
    import architectures
    from architectures.presets import config_from_dict

    path = Path(run_dir) / "model.keras"
    if not path.is_file():
        raise InputError(f"no model.keras in {run_dir}")
    try:
        model_config = config_from_dict(run_config.get("model_config") or {})
    except (InputError, TypeError):
        raise InputError(f"{run_dir}/config.json does not describe a model this version can read") from None
    return architectures.load_model(path), model_config
