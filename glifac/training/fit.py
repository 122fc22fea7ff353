"""Train a CAN on a dataset and write its run directory: :func:`train`, the library call under ``glifac train``.

The run directory's layout is documented in :mod:`glifac.rundir`. Speed: the
data are converted to float32 once and ``model.fit`` gets the in-memory
arrays; validation is one forward pass per epoch (:mod:`glifac.training.monitor`);
``benchmarks/bench_train.py`` measures the trainer against a bare ``model.fit``.

``resume=True`` rebuilds the model (the request must match ``config.json``;
only ``epochs`` may change, to extend a run), restores the checkpoint and
continues with the next epoch. It reseeds with ``seed + epochs done`` so the
shuffle order does not replay epoch 1: a resumed run is equivalent to, not
bit-identical with, an uninterrupted one.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glifac import rundir
from glifac.training.checkpoint import CHECKPOINT_DIR, load_checkpoint, restore_variables
from glifac.training.config import (MAX_SEED, TrainingConfig, normalised_training, objective_problem,
                                   recipe_config)
from simulate.errors import InputError
from simulate.files import atomic_write_json, read_json, sha256_file, to_jsonable

MODEL_FILE = "model.keras"
# data-record keys that identify a dataset (its path may move; generator_version is implied by sha256)
_DATA_IDENTITY = ("sha256", "n_train", "n_valid", "n_test", "task_names")


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    run_dir : Path
    status : {"complete", "failed"}
    metrics : dict
        The contents of ``metrics.json`` (layout in :mod:`glifac.rundir`).
    model_config : architectures.ModelConfig
    training : TrainingConfig
    """

    run_dir: Path
    status: str
    metrics: dict
    model_config: object
    training: TrainingConfig

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def model_path(self) -> Path:
        return self.run_dir / MODEL_FILE


def model_for_data(model, dataset, overrides: dict | None = None):
    """The :class:`architectures.ModelConfig` of ``model`` sized for ``dataset``.

    Parameters
    ----------
    model : str or architectures.ModelConfig
        A preset name (resolved with ``overrides``) or a full config.
    dataset : simulate.Dataset
        Decides ``input_length`` (its sequence length) and ``n_tasks``.
    overrides : dict, optional
        :class:`architectures.ModelConfig` fields, with a preset name only.

    Raises
    ------
    InputError
        Unknown preset or override, or a config/override whose ``input_length``
        or ``n_tasks`` disagrees with the data.
    """
    from architectures.config import ModelConfig
    from architectures.presets import resolve_config

    shape = {"input_length": int(dataset.x_train.shape[1]), "n_tasks": int(dataset.y_train.shape[1])}
    if isinstance(model, ModelConfig):
        if overrides:
            raise InputError("pass overrides with a preset name, or put them in the ModelConfig")
        config = model
    else:
        overrides = dict(overrides or {})
        for key, value in shape.items():
            if key in overrides and overrides[key] != value:
                raise InputError(f"{key}={overrides[key]!r} disagrees with the data ({value})")
        config = resolve_config(model, **{**overrides, **shape})
    for key, value in shape.items():
        if getattr(config, key) != value:
            raise InputError(f"model config {key}={getattr(config, key)} disagrees with the data ({value})")
    if config.head == "softmax" and not all(_one_class_per_row(getattr(dataset, f"y_{split}"))
                                            for split in ("train", "valid", "test")):
        raise InputError("a softmax head needs one class per sequence (one-hot labels); these data have "
                         "sequences with several or no labels: use --head sigmoid")
    return config


def _one_class_per_row(y) -> bool:
    y = np.asarray(y)
    return bool(len(y)) and bool(np.all(y.sum(axis=1) == 1)) and bool(np.all((y == 0) | (y == 1)))


def check_dataset(ds) -> None:
    """Every split non-empty, one-hot (N, L, 4) beside (N, T) labels, T task names."""
    from simulate.validate import check_one_hot_shape

    for split in ("train", "valid", "test"):
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        if len(x) == 0:
            raise InputError(f"{getattr(ds, 'path', 'dataset')}: the {split} split is empty")
        check_one_hot_shape(x, f"x_{split}")
        if y.ndim != 2 or len(y) != len(x):
            raise InputError(f"{split} split has shapes {x.shape}, {y.shape}; expected (N, L, 4), (N, T)")
    if len(ds.task_names) != ds.y_train.shape[1]:
        raise InputError(f"{len(ds.task_names)} task names for {ds.y_train.shape[1]} label columns")


def default_run_dir(model_name: str, seed: int) -> Path:
    """``runs/<model>-seed<seed>``, where ``glifac train`` writes without ``--out``."""
    return Path("runs") / f"{model_name}-seed{seed}"


def train(data, model, training: TrainingConfig | None = None, out=None, *, force: bool = False,
          resume: bool = False, quiet: bool = False, callbacks=()) -> TrainResult:
    """Train a CAN on a dataset and write a run directory.

    Parameters
    ----------
    data : simulate.Dataset, str or Path
        A loaded dataset (``x_{train,valid,test}`` (N, L, 4) one-hot, ``y_*``
        (N, T) 0/1, ``task_names``, optional ``path``, recorded with its
        SHA-256) or the path of a dataset file.
    model : str or architectures.ModelConfig
        A preset name (sized for the data) or a config (see :func:`model_for_data`).
    training : TrainingConfig, optional
        Default: the ``fast`` recipe (:func:`glifac.training.recipe_config`).
    out : str or Path, optional
        Run directory (default ``runs/<model>-seed<seed>``).
    force, resume : bool
        Overwrite an existing run directory / continue an interrupted one.
    quiet : bool
        No per-epoch progress lines.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks, run after the trainer's own (tests use this to
        simulate an interruption).

    Returns
    -------
    TrainResult
        ``status`` is ``"complete"``, or ``"failed"`` when the loss diverged.

    Raises
    ------
    InputError
        Bad model or training settings, an inconsistent dataset, or an output
        directory that exists without ``force``/``resume``.
    KeyboardInterrupt
        Propagated; the run directory stays incomplete and resumable.
    """
    if force and resume:
        raise InputError("--force and --resume are mutually exclusive")
    if not isinstance(data, (str, Path)):
        dataset = data
    else:
        import simulate

        dataset = simulate.load(data)
    check_dataset(dataset)
    model_config = model_for_data(model, dataset)
    train_config = recipe_config() if training is None else training
    if not isinstance(train_config, TrainingConfig):
        raise InputError(f"training must be a TrainingConfig, got {type(train_config).__name__}")
    problem = objective_problem(model_config, train_config)
    if problem:
        raise InputError(problem)
    out_dir = Path(out) if out is not None else default_run_dir(model_config.name, train_config.seed)
    record = _record(dataset, model_config, train_config)
    state, checkpoint = None, None
    if resume:
        # validate before prepare_run_dir so a refused resume changes nothing
        _check_resumable(out_dir, record)
        state, checkpoint = load_checkpoint(out_dir)
    mode = rundir.prepare_run_dir(out_dir, force=force, resume=resume)
    if mode == "new":
        rundir.write_config(out_dir, record)
    else:  # keep the original record; note the resume (it may extend epochs)
        rundir.record_resume(out_dir, {"training": record["training"]})
    return _fit(dataset, model_config, train_config, out_dir, state, checkpoint, quiet, callbacks)


def _record(dataset, model_config, train_config: TrainingConfig) -> dict:
    """What ``config.json`` holds besides versions, time and command."""
    data_path = getattr(dataset, "path", None)
    return {
        "model": model_config.name,
        "model_config": model_config.to_dict(),
        "training": train_config.to_dict(),
        "seed": train_config.seed,
        "data": {
            "path": str(Path(data_path).resolve()) if data_path else None,
            "sha256": sha256_file(data_path) if data_path else None,
            "generator_version": getattr(dataset, "generator_version", None),
            "n_train": len(dataset.x_train),
            "n_valid": len(dataset.x_valid),
            "n_test": len(dataset.x_test),
            "task_names": list(dataset.task_names),
        },
    }


def _differences(recorded: dict, record: dict, extend_epochs: bool) -> list[str]:
    """What differs between a recorded config.json and a request (empty: the same run)."""
    from architectures.presets import config_from_dict

    try:  # a record written before a model field existed means what that field's absence meant
        recorded_model = config_from_dict(recorded.get("model_config") or {}).to_dict()
    except (InputError, TypeError):
        recorded_model = recorded.get("model_config")
    old, new = normalised_training(recorded.get("training") or {}), dict(record["training"])
    if extend_epochs:
        old.pop("epochs", None), new.pop("epochs", None)
    checks = (("model", recorded.get("model") == record["model"]),
              ("model_config", recorded_model == to_jsonable(record["model_config"])),
              ("data", same_data(recorded.get("data") or {}, to_jsonable(record["data"]))),
              ("training options", old == new))
    return [what for what, same in checks if not same]


def _check_resumable(run_dir: Path, record: dict) -> None:
    """Raise InputError unless ``run_dir`` is an interrupted run of the same model, data and training
    (only ``epochs`` may differ, to extend a run)."""
    status = rundir.run_status(run_dir)
    if status in ("missing", "complete", "failed"):
        rundir.prepare_run_dir(run_dir, resume=True)  # raises the right message
    differences = _differences(read_json(run_dir / rundir.CONFIG_FILE), record, extend_epochs=True)
    if differences:
        raise InputError(f"cannot resume {run_dir}: its {differences[0]} differs from this request")


def same_data(recorded: dict, requested: dict) -> bool:
    """True when two ``config.json`` data records name the same dataset (wherever it now lies)."""
    return all(recorded.get(key) == requested.get(key) for key in _DATA_IDENTITY)


def _fit(dataset, model_config, train_config, out_dir, state, checkpoint, quiet, callbacks) -> TrainResult:
    from glifac.runtime import import_tensorflow_quietly, seed_everything

    keras, _ = import_tensorflow_quietly()
    import architectures
    from analysis.classification import classification_metrics, cross_entropy
    from architectures.access import predict_in_batches
    from glifac.training.attngen import LOSSES, AttnGenTrainer
    from glifac.training.monitor import PREDICT_BATCH, Monitor

    initial_epoch = state["epoch"] if state else 0
    # a resumed run reseeds differently so it does not replay epoch 1's shuffle
    seed_everything((train_config.seed + initial_epoch) % (MAX_SEED + 1))

    # one conversion, reused by every epoch
    x_train = dataset.x_train.astype(np.float32)
    y_train = dataset.y_train.astype(np.float32)
    x_valid = dataset.x_valid.astype(np.float32)
    x_test = dataset.x_test.astype(np.float32)

    head = model_config.head
    model = architectures.build_from_config(model_config)
    # the model fit() trains: the model itself, or the AttnGen wrapper around it (same variables)
    fitted = AttnGenTrainer(model, train_config, head) if train_config.masks else model
    fitted.compile(optimizer=keras.optimizers.Adam(learning_rate=train_config.learning_rate,
                                                   weight_decay=train_config.weight_decay or None,
                                                   global_clipnorm=train_config.clip_norm),
                   loss=LOSSES[head]())
    if checkpoint is not None:
        restore_variables(fitted, checkpoint, out_dir)
        fitted.optimizer.learning_rate.assign(state["lr"])

    monitor = Monitor(out_dir, train_config, x_valid, dataset.y_valid, dataset.task_names, state=state,
                      best_weights=checkpoint["best"] if checkpoint else None, quiet=quiet, head=head)
    if initial_epoch < train_config.epochs and not monitor.stopped:
        if not quiet and state:
            print(f"resuming {out_dir} after epoch {initial_epoch}", flush=True)
        try:
            fitted.fit(x_train, y_train, batch_size=train_config.batch_size, epochs=train_config.epochs,
                       initial_epoch=initial_epoch, shuffle=True, verbose=0, callbacks=[monitor, *callbacks])
        except KeyboardInterrupt:
            print(f"interrupted: {out_dir} is incomplete; continue with --resume", file=sys.stderr)
            raise

    if monitor.failure:
        metrics = {"status": "failed", "reason": monitor.failure, "epochs_run": monitor.epoch,
                   "history": monitor.history}
        _finish(out_dir, metrics)
        return TrainResult(out_dir, "failed", metrics, model_config, train_config)

    fitted.set_weights(monitor.best_weights())
    rundir.atomic_save_model(model, out_dir / MODEL_FILE)
    y_prob = predict_in_batches(model, x_test, PREDICT_BATCH)
    test = classification_metrics(dataset.y_test, y_prob, dataset.task_names, head)
    metrics = {
        "status": "complete",
        "test_accuracy": test["accuracy"],
        "test_auroc": test["auroc"],
        "test_aupr": test["aupr"],
        "test_auroc_pooled": test["auroc_pooled"],
        "test_aupr_pooled": test["aupr_pooled"],
        "test_loss": cross_entropy(dataset.y_test, y_prob, head),
        "test_auroc_per_task": test["auroc_per_task"],
        "test_aupr_per_task": test["aupr_per_task"],
        "best_epoch": monitor.best_epoch,
        "monitor": train_config.monitor,
        "best_monitor_value": monitor.best,
        "best_val_aupr": monitor.best_row().get("val_aupr"),
        "epochs_run": monitor.epoch,
        "stopped_early": monitor.stopped,
        "train_seconds": float(sum(row["seconds"] for row in monitor.history)),
    }
    _finish(out_dir, metrics)
    if not quiet:
        print(f"test AUROC {metrics['test_auroc']:.4f}  AUPR {metrics['test_aupr']:.4f} (macro); "
              f"pooled, the paper's metric: AUROC {metrics['test_auroc_pooled']:.4f}  "
              f"AUPR {metrics['test_aupr_pooled']:.4f}  -> {out_dir}", flush=True)
    return TrainResult(out_dir, "complete", metrics, model_config, train_config)


def _finish(out_dir: Path, metrics: dict) -> None:
    """Write metrics.json, the completion record, then drop the marker and the checkpoint.

    metrics.json comes after model.keras and the marker goes only after it, so
    no crash leaves a directory that looks complete.
    """
    atomic_write_json(out_dir / rundir.METRICS_FILE, metrics)
    rundir.mark_finished(out_dir)
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
