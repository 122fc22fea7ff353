"""``python -m glifac train``: train a CAN preset on a simulated dataset.

Binary cross-entropy and Adam, with one of three named recipes
(:data:`RECIPES`; every setting can still be overridden by its own flag):

``fast`` (default)
    batch 100, lr 1e-3, up to 100 epochs; lr x0.3 after 5 epochs without a
    better validation AUPR (floor 1e-7); stop after 10 epochs without one;
    keep the best-validation-AUPR weights.
``paper``
    as the paper describes it: the same, but all 100 epochs (no early
    stopping), keeping the best-validation-AUPR weights.
``authors``
    as the authors' published code runs (``InteractionPipeline.py``): batch
    200; lr x0.2 after 10 epochs without a lower validation loss (their
    ``ReduceLROnPlateau(patient=5)`` misspells ``patience``, so Keras's default
    10 applied); stop after 15 such epochs, keeping the lowest-validation-loss
    weights.

``fast`` is the default because it selects weights as the paper does (best
validation AUPR) while stopping runs that have stopped improving: the paper's
full 100 epochs cost 2-3x the time on a CPU (pool-4 presets: 1.5-4 h each on
2 cores), and a run that would still improve after 10 idle epochs is rare.

Run directory (default ``runs/<model>-seed<seed>``)::

    .incomplete     present until the run finished (see glifac.rundir)
    config.json     resolved model + training config, data path and sha256,
                    seed, package versions
    history.csv     epoch, loss, val_loss, val_auroc, val_aupr,
                    val_auroc_pooled, val_aupr_pooled, lr, seconds
    checkpoint/     checkpoint.npz: last epoch's weights, optimizer slots,
                    best weights and trainer state (epoch, history, best
                    AUPR, plateau/early-stop counters, lr) in one atomically
                    renamed file, for --resume; deleted when the run finishes
    model.keras     the best epoch's model by the recipe's monitored
                    quantity (complete runs only)
    metrics.json    written last: test AUROC/AUPR (macro, per task, and
                    pooled as keras.metrics.AUC computes them: the paper's
                    metric) and "status": "complete", or "status": "failed"
                    + "reason"

--resume rebuilds the model (the request must match config.json; only
``epochs`` may change, to extend a run), restores the checkpoint and
continues with the next epoch. It reseeds with ``seed + epochs done`` so the
shuffle order does not replay epoch 1; a resumed run is therefore equivalent
to, not bit-identical with, an uninterrupted one. A ``.keras`` save per epoch
(~40 ms) would cost more than the 10% speed budget on small data; the npz
costs ~10 ms.

Speed: the data are converted to float32 once and ``model.fit`` gets the
in-memory arrays. Validation is one forward pass per epoch (compiled
``predict_on_batch`` in chunks, no per-call tf.data pipeline), from which
val_loss, AUROC and AUPR are all computed; bare ``fit(validation_data=...)``
spends a similar pass on val_loss alone. ``benchmarks/bench_train.py``
measures the ratio.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import io
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from analysis.classification import binary_crossentropy, classification_metrics
from glifac import rundir
from simulate.validate import check_fields
from simulate.errors import InputError

HISTORY_FIELDS = ("epoch", "loss", "val_loss", "val_auroc", "val_aupr", "val_auroc_pooled", "val_aupr_pooled",
                  "lr", "seconds")
CHECKPOINT_DIR = "checkpoint"
# One .npz per epoch: variables + trainer state in a single atomic file.
CHECKPOINT_FILE = "checkpoint.npz"
# Validation/test predictions use big batches: inference memory is small.
_PREDICT_BATCH = 1000


# What the validation monitor may follow, and whether larger is better.
MONITORS = {"val_aupr": "max", "val_loss": "min"}


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings (everything that is not the model).

    The defaults are the ``fast`` recipe; :func:`recipe_config` builds the others.

    Parameters
    ----------
    epochs : int
        Maximum number of epochs.
    batch_size : int
    learning_rate : float
        Initial Adam learning rate.
    lr_factor : float
        Multiplier applied when the monitored quantity plateaus.
    lr_patience : int
        Epochs without improvement before the learning rate drops.
    min_lr : float
        Learning-rate floor.
    patience : int or None
        Epochs without improvement before training stops; None trains all
        ``epochs`` (no early stopping).
    monitor : {"val_aupr", "val_loss"}
        What decides improvement, the learning-rate plateau, early stopping
        and which epoch's weights are kept (macro validation AUPR, maximised,
        or validation loss, minimised).
    recipe : str
        Name of the recipe these settings started from (recorded; individual
        settings may have been overridden since).
    seed : int
        Seeds Python, NumPy and TensorFlow; ops are made deterministic.
    """

    epochs: int = 100
    batch_size: int = 100
    learning_rate: float = 1e-3
    lr_factor: float = 0.3
    lr_patience: int = 5
    min_lr: float = 1e-7
    patience: Optional[int] = 10
    monitor: str = "val_aupr"
    recipe: str = "fast"
    seed: int = 0

    def __post_init__(self):
        check_fields(self)
        for key in ("epochs", "batch_size", "lr_patience"):
            if getattr(self, key) < 1:
                raise InputError(f"{key} must be >= 1, got {getattr(self, key)}")
        if self.patience is not None and self.patience < 1:
            raise InputError(f"patience must be >= 1 (or none: no early stopping), got {self.patience}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise InputError(f"learning_rate must be a positive number, got {self.learning_rate}")
        if not 0 < self.lr_factor <= 1:
            raise InputError(f"lr_factor must be in (0, 1], got {self.lr_factor}")
        if not (self.min_lr >= 0 and math.isfinite(self.min_lr)):
            raise InputError(f"min_lr must be a finite number >= 0, got {self.min_lr}")
        if self.monitor not in MONITORS:
            raise InputError(f"monitor must be one of {', '.join(MONITORS)}, got {self.monitor!r}")
        if self.recipe not in RECIPES:
            raise InputError(f"unknown recipe {self.recipe!r}; choose from {', '.join(RECIPES)}")
        if not 0 <= self.seed <= MAX_SEED:
            raise InputError(f"seed must be in [0, {MAX_SEED}], got {self.seed}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# recipe name -> settings that differ from TrainingConfig's defaults (the fast recipe)
RECIPES: dict[str, dict] = {
    "fast": {},
    "paper": {"patience": None},
    "authors": {"batch_size": 200, "lr_factor": 0.2, "lr_patience": 10, "patience": 15, "monitor": "val_loss"},
}
DEFAULT_RECIPE = "fast"


def recipe_config(recipe: str = DEFAULT_RECIPE, **overrides) -> TrainingConfig:
    """The settings of ``recipe`` with ``overrides`` applied (unknown names raise InputError)."""
    if recipe not in RECIPES:
        raise InputError(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    unknown = sorted(set(overrides) - set(TRAINING_FIELDS))
    if unknown:
        raise InputError(f"unknown training option {unknown[0]!r}")
    return TrainingConfig(**{**RECIPES[recipe], **overrides, "recipe": recipe})


def normalised_training(values: dict) -> dict:
    """A recorded training config with fields it predates set to what it meant (runs recorded
    before recipes existed used the fast recipe's monitor and name)."""
    try:
        return TrainingConfig(**values).to_dict()
    except (InputError, TypeError):
        return dict(values)  # compared as is; the caller reports the mismatch


MAX_SEED = 2**32 - 1  # numpy's seed range (keras.utils.set_random_seed seeds numpy)

TRAINING_FIELDS = tuple(f.name for f in dataclasses.fields(TrainingConfig))


# ------------------------------------------------------------------ resolving
def resolve_run(model_name, overrides=None, training=None, *, input_length, n_tasks):
    """Validated ``(ModelConfig, TrainingConfig)`` for a run.

    ``input_length`` and ``n_tasks`` come from the data; an override that
    disagrees with them raises InputError.
    """
    import architectures

    overrides = dict(overrides or {})
    for key, value in (("input_length", input_length), ("n_tasks", n_tasks)):
        if key in overrides and overrides[key] != value:
            raise InputError(f"{key}={overrides[key]!r} disagrees with the data ({value})")
        overrides[key] = int(value)
    model_config = architectures.resolve_config(model_name, **overrides)
    training = dict(training or {})
    return model_config, recipe_config(training.pop("recipe", DEFAULT_RECIPE), **training)


def _check_dataset(ds) -> None:
    for split in ("train", "valid", "test"):
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        if len(x) == 0:
            raise InputError(f"{getattr(ds, 'path', 'dataset')}: the {split} split is empty")
        if x.ndim != 3 or x.shape[2] != 4 or y.ndim != 2 or len(y) != len(x):
            raise InputError(f"{split} split has shapes {x.shape}, {y.shape}; expected (N, L, 4), (N, T)")
    if len(ds.task_names) != ds.y_train.shape[1]:
        raise InputError(f"{len(ds.task_names)} task names for {ds.y_train.shape[1]} label columns")


# ------------------------------------------------------------------- training
def train(
    dataset,
    model_name: str,
    out_dir,
    *,
    overrides: dict | None = None,
    training: dict | None = None,
    force: bool = False,
    resume: bool = False,
    quiet: bool = False,
    callbacks=(),
) -> dict:
    """Train a preset on a loaded dataset and write a run directory.

    Parameters
    ----------
    dataset : simulate.Dataset or object with the same attributes
        ``x_{train,valid,test}`` (N, L, 4) one-hot, ``y_*`` (N, T) 0/1,
        ``task_names`` (T,), optional ``path`` (recorded with its sha256).
    model_name : str
        One of :func:`architectures.available_models`.
    out_dir : str or Path
        Run directory (see the module docstring).
    overrides : dict, optional
        :class:`architectures.ModelConfig` overrides.
    training : dict, optional
        :class:`TrainingConfig` fields (``epochs``, ``seed``, ...).
    force, resume : bool
        Overwrite an existing run directory / continue an interrupted one.
    quiet : bool
        No per-epoch progress lines.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks, run after the trainer's own (tests use this to
        simulate an interruption).

    Returns
    -------
    dict
        The contents of ``metrics.json``; ``status`` is ``"complete"`` or
        ``"failed"``.

    Raises
    ------
    InputError
        Bad model name/override/training option, inconsistent dataset, or an
        output directory that exists without ``force``/``resume``.
    KeyboardInterrupt
        Propagated; the run directory stays incomplete and resumable.
    """
    if force and resume:
        raise InputError("--force and --resume are mutually exclusive")
    _check_dataset(dataset)
    model_config, train_config = resolve_run(
        model_name, overrides, training,
        input_length=dataset.x_train.shape[1], n_tasks=dataset.y_train.shape[1],
    )
    out_dir = Path(out_dir)
    data_path = getattr(dataset, "path", None)
    record = {
        "model": model_name,
        "model_config": model_config.to_dict(),
        "training": train_config.to_dict(),
        "seed": train_config.seed,
        "data": {
            "path": str(Path(data_path).resolve()) if data_path else None,
            "sha256": rundir.sha256_file(data_path) if data_path else None,
            "n_train": len(dataset.x_train),
            "n_valid": len(dataset.x_valid),
            "n_test": len(dataset.x_test),
            "task_names": list(dataset.task_names),
        },
    }
    state, checkpoint = None, None
    if resume:
        # validate before prepare_run_dir so a refused resume changes nothing
        state, checkpoint = _load_checkpoint(out_dir, record)
    mode = rundir.prepare_run_dir(out_dir, force=force, resume=resume)
    if mode == "new":
        rundir.write_config(out_dir, record)
    else:  # keep the original record; note the resume (it may extend epochs)
        rundir.record_resume(out_dir, {"training": record["training"]})

    keras, tf = _import_keras()
    import architectures

    initial_epoch = state["epoch"] if state else 0
    # a resumed run reseeds differently so it does not replay epoch 1's shuffle
    keras.utils.set_random_seed((train_config.seed + initial_epoch) % (MAX_SEED + 1))
    tf.config.experimental.enable_op_determinism()

    # one conversion, reused by every epoch
    x_train = dataset.x_train.astype(np.float32)
    y_train = dataset.y_train.astype(np.float32)
    x_valid = dataset.x_valid.astype(np.float32)
    x_test = dataset.x_test.astype(np.float32)

    model = architectures.build_from_config(model_config)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=train_config.learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
    )
    if checkpoint is not None:
        _restore_variables(model, checkpoint, out_dir)
        model.optimizer.learning_rate.assign(state["lr"])

    monitor = _Monitor(out_dir, train_config, x_valid, dataset.y_valid, dataset.task_names,
                       state=state, best_weights=checkpoint["best"] if checkpoint else None,
                       quiet=quiet)
    if initial_epoch < train_config.epochs and not monitor.stopped:
        if not quiet and state:
            print(f"resuming {out_dir} after epoch {initial_epoch}", flush=True)
        try:
            model.fit(
                x_train, y_train,
                batch_size=train_config.batch_size,
                epochs=train_config.epochs,
                initial_epoch=initial_epoch,
                shuffle=True,
                verbose=0,
                callbacks=[monitor, *callbacks],
            )
        except KeyboardInterrupt:
            print(f"interrupted: {out_dir} is incomplete; continue with --resume", file=sys.stderr)
            raise

    if monitor.failure:
        metrics = {"status": "failed", "reason": monitor.failure,
                   "epochs_run": monitor.epoch, "history": monitor.history}
        rundir.atomic_write_json(out_dir / rundir.METRICS_FILE, metrics)
        rundir.mark_finished(out_dir)
        shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
        return metrics

    model.set_weights(monitor.best_weights())
    rundir.atomic_save_model(model, out_dir / "model.keras")
    y_prob = predict(model, x_test)
    test = classification_metrics(dataset.y_test, y_prob, dataset.task_names)
    metrics = {
        "status": "complete",
        "test_auroc": test["auroc"],
        "test_aupr": test["aupr"],
        "test_auroc_pooled": test["auroc_pooled"],
        "test_aupr_pooled": test["aupr_pooled"],
        "test_loss": binary_crossentropy(dataset.y_test, y_prob),
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
    # metrics.json is the completion record: written after model.keras, and
    # the marker goes only after it, so no crash leaves a look-alike.
    rundir.atomic_write_json(out_dir / rundir.METRICS_FILE, metrics)
    rundir.mark_finished(out_dir)
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
    if not quiet:
        print(f"test AUROC {metrics['test_auroc']:.4f}  AUPR {metrics['test_aupr']:.4f} (macro); "
              f"pooled, the paper's metric: AUROC {metrics['test_auroc_pooled']:.4f}  "
              f"AUPR {metrics['test_aupr_pooled']:.4f}  -> {out_dir}", flush=True)
    return metrics


def predict(model, x, batch_size: int = _PREDICT_BATCH) -> np.ndarray:
    """Model outputs for ``x`` (N, L, 4) float32 -> (N, T), in fixed-size chunks."""
    from architectures.access import predict_in_batches

    return predict_in_batches(model, x, batch_size)


# ----------------------------------------------------------------- checkpoint
def _load_checkpoint(out_dir: Path, record: dict):
    """``(state, arrays)`` of an interrupted run, after checking it matches ``record``."""
    status = rundir.run_status(out_dir)
    if status in ("missing", "complete", "failed"):
        rundir.prepare_run_dir(out_dir, resume=True)  # raises the right message
    recorded = rundir.read_json(out_dir / rundir.CONFIG_FILE)
    # the data file may have moved; its checksum and shape must not change
    same_data = {k: v for k, v in record["data"].items() if k != "path"}
    recorded_data = {k: v for k, v in (recorded.get("data") or {}).items() if k != "path"}
    for key, old, new in (("model", recorded.get("model"), record["model"]),
                          ("model_config", _normalised_model_config(recorded.get("model_config")),
                           record["model_config"]),
                          ("data", recorded_data, same_data)):
        if old != rundir.to_jsonable(new):
            raise InputError(f"cannot resume {out_dir}: its {key} differs from this request")
    old, new = normalised_training(recorded.get("training", {})), dict(record["training"])
    old.pop("epochs", None), new.pop("epochs", None)  # extending a run is allowed
    if old != new:
        raise InputError(f"cannot resume {out_dir}: its training options differ from this request")
    path = out_dir / CHECKPOINT_DIR / CHECKPOINT_FILE
    if not path.is_file():
        raise InputError(f"cannot resume {out_dir}: no checkpoint (interrupted before the first epoch ended)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            state = json.loads(str(npz["state"]))
            arrays = {group: [npz[f"{group}_{i}"] for i in range(state["n_" + group])]
                      for group in ("model", "optimizer", "best")}
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot resume {out_dir}: unreadable checkpoint ({exc})") from None
    return state, arrays


def _restore_variables(model, arrays, out_dir) -> None:
    model.optimizer.build(model.trainable_variables)
    for group, variables in (("model", model.variables), ("optimizer", model.optimizer.variables)):
        values = arrays[group]
        if len(values) != len(variables) or any(
            tuple(v.shape) != a.shape for v, a in zip(variables, values)
        ):
            raise InputError(f"cannot resume {out_dir}: checkpoint does not match the model")
        for v, a in zip(variables, values):
            v.assign(a)


def _normalised_model_config(values):
    """A recorded model config with fields added since it was written set to their defaults,
    so that runs recorded by an earlier version stay resumable."""
    from architectures.presets import config_from_dict

    try:
        return config_from_dict(values).to_dict()
    except (InputError, TypeError):
        return values  # compared as is; the mismatch is reported by the caller


def _import_keras():
    """``(keras, tensorflow)``, imported without TF's C++ start-up chatter on
    stderr (see :func:`glifac.cli.import_tensorflow_quietly`); also for
    callers of :func:`train` that bypass the command line."""
    from glifac.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    import tensorflow as tf

    return keras, tf


@functools.lru_cache(maxsize=None)
def _monitor_class():
    import keras

    class Monitor(keras.callbacks.Callback):
        """Per-epoch validation, LR plateau, early stopping, checkpoint, progress.

        One callback rather than Keras's ReduceLROnPlateau + EarlyStopping +
        ModelCheckpoint so that their state (best AUPR, wait counters) is one
        record, checkpointed atomically with the weights and restored on
        --resume.
        """

        def __init__(self, out_dir, config, x_valid, y_valid, task_names, *, state=None,
                     best_weights=None, quiet=False):
            super().__init__()
            self.out_dir = Path(out_dir)
            self.config = config
            self.x_valid, self.y_valid = x_valid, y_valid
            self.task_names = list(task_names)
            self.quiet = quiet
            self.failure = None
            self.sign = 1.0 if MONITORS[config.monitor] == "max" else -1.0  # compare sign * value
            state = state or {}
            self.epoch = state.get("epoch", 0)
            self.history = list(state.get("history", []))
            best = state.get("best")
            self.best = -self.sign * math.inf if best is None else best
            self.best_epoch = state.get("best_epoch", 0)
            self.wait = state.get("wait", 0)  # epochs since best (early stopping)
            self.lr_wait = state.get("lr_wait", 0)  # epochs since best or last LR drop
            self.stopped = state.get("stopped", False)
            # loaded best weights mean nothing if no epoch ever had a defined AUPR
            self._best_weights = (best_weights or None) if math.isfinite(self.best) else None
            self._t0 = None

        def best_row(self) -> dict:
            """The history row of the best epoch (empty if none was defined)."""
            return next((row for row in self.history if row["epoch"] == self.best_epoch), {})

        def best_weights(self):
            """Weights of the best epoch (the current weights if AUPR was never defined)."""
            return self.model.get_weights() if self._best_weights is None else self._best_weights

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            loss = float(logs.get("loss", float("nan")))
            lr = float(self.model.optimizer.learning_rate.numpy())
            self.epoch = epoch + 1
            y_prob = None
            if math.isfinite(loss):
                y_prob = predict(self.model, self.x_valid)
            if y_prob is None or not np.all(np.isfinite(y_prob)):
                what = f"training loss {loss}" if y_prob is None else "non-finite validation predictions"
                self.failure = f"diverged: {what} in epoch {self.epoch}"
                self.model.stop_training = True
                self._print(f"epoch {self.epoch:3d}/{self.config.epochs}  {self.failure}; stopping")
                return
            val = classification_metrics(self.y_valid, y_prob, self.task_names)
            val_loss = binary_crossentropy(self.y_valid, y_prob)
            value = {"val_aupr": val["aupr"], "val_loss": val_loss}[self.config.monitor]
            improved = math.isfinite(value) and self.sign * value > self.sign * self.best
            if improved:
                self.best, self.best_epoch = value, self.epoch
                self.wait = self.lr_wait = 0
                self._best_weights = self.model.get_weights()
            else:
                self.wait += 1
                self.lr_wait += 1
            new_lr = lr
            if self.lr_wait >= self.config.lr_patience and lr > self.config.min_lr:
                new_lr = max(lr * self.config.lr_factor, self.config.min_lr)
                self.model.optimizer.learning_rate.assign(new_lr)
                self.lr_wait = 0
            if self.config.patience is not None and self.wait >= self.config.patience:
                self.stopped = True
                self.model.stop_training = True
            row = {
                "epoch": self.epoch,
                "loss": loss,
                "val_loss": val_loss,
                "val_auroc": val["auroc"],
                "val_aupr": val["aupr"],
                "val_auroc_pooled": val["auroc_pooled"],
                "val_aupr_pooled": val["aupr_pooled"],
                "lr": lr,
                # training and validation; the ~10 ms checkpoint below is left out so
                # that the checkpointed history already holds this epoch's time
                "seconds": time.perf_counter() - self._t0,
            }
            self.history.append(row)
            self._checkpoint(new_lr)
            _write_history(self.out_dir / "history.csv", self.history)
            self._print(
                f"epoch {self.epoch:3d}/{self.config.epochs}  loss {loss:.4f}  "
                f"val_loss {row['val_loss']:.4f}  val_aupr {val['aupr']:.4f}  "
                f"val_auroc {val['auroc']:.4f}  lr {lr:.1e}  {row['seconds']:.1f}s"
                + ("  *" if improved else "")
                + ("  (early stop)" if self.stopped else "")
            )

        def _checkpoint(self, new_lr):
            # One file holds weights, optimizer slots, best weights and the
            # trainer state, so the atomic rename commits them together.
            # (A .keras save costs ~40 ms; this ~10 ms, within the speed budget.)
            groups = {
                "model": [v.numpy() for v in self.model.variables],
                "optimizer": [v.numpy() for v in self.model.optimizer.variables],
                "best": self.best_weights(),
            }
            state = {
                "epoch": self.epoch, "epochs": self.config.epochs,
                "history": self.history, "best": self.best,
                "best_epoch": self.best_epoch, "wait": self.wait, "lr_wait": self.lr_wait,
                "lr": new_lr, "stopped": self.stopped,
                **{f"n_{g}": len(values) for g, values in groups.items()},
            }
            arrays = {f"{g}_{i}": a for g, values in groups.items() for i, a in enumerate(values)}
            arrays["state"] = np.array(json.dumps(rundir.to_jsonable(state)))
            with rundir.atomic_path(self.out_dir / CHECKPOINT_DIR / CHECKPOINT_FILE) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **arrays)

        def _print(self, line):
            if not self.quiet:
                print(line, flush=True)

    return Monitor


def _Monitor(*args, **kwargs):
    return _monitor_class()(*args, **kwargs)


def _write_history(path, rows) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    rundir.atomic_write_text(path, buf.getvalue())


# ------------------------------------------------------------------------ CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``train`` options. Unset options are absent from the namespace
    (``SUPPRESS``) so that --config values apply unless a flag overrides them."""
    S = argparse.SUPPRESS
    parser.add_argument("--data", required=True, help="dataset file from `python -m simulate`")
    parser.add_argument("--model", default=S, help="preset name, e.g. CNN20-Exp (or from --config)")
    parser.add_argument("--out", default=None, help="run directory (default runs/<model>-seed<seed>)")
    parser.add_argument("--config", default=None, metavar="FILE.json",
                        help="JSON of model overrides / training options (e.g. a run's config.json); "
                             "command-line flags take precedence")
    parser.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    t = parser.add_argument_group("training (defaults: the recipe's; README lists each recipe)")
    t.add_argument("--recipe", choices=tuple(RECIPES), default=S,
                   help=f"named training recipe (default {DEFAULT_RECIPE}); the flags below override it")
    t.add_argument("--seed", type=int, default=S, help="random seed (default 0)")
    t.add_argument("--epochs", type=int, default=S, help="maximum epochs (default 100)")
    t.add_argument("--batch-size", type=int, default=S, help="default 100")
    t.add_argument("--learning-rate", type=float, default=S, help="Adam learning rate (default 1e-3)")
    t.add_argument("--lr-factor", type=float, default=S, help="LR multiplier on plateau (default 0.3)")
    t.add_argument("--lr-patience", type=int, default=S, help="epochs before LR drops (default 5)")
    t.add_argument("--min-lr", type=float, default=S, help="learning-rate floor (default 1e-7)")
    t.add_argument("--patience", type=_patience, default=S,
                   help="early-stopping patience in epochs, or 'none' to train every epoch (default 10)")
    t.add_argument("--monitor", choices=tuple(MONITORS), default=S,
                   help="what selects the kept epoch and drives lr drops and stopping (default val_aupr)")

    m = parser.add_argument_group("model overrides (default: the preset's value)")
    m.add_argument("--pool-size", type=int, default=S)
    m.add_argument("--activation", default=S, help="relu, exp, softplus, gelu, sigmoid, tanh, elu, linear")
    m.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=S)
    m.add_argument("--layer-norm", choices=("none", "pre", "post", "both"), default=S)
    m.add_argument("--num-heads", type=int, default=S)
    m.add_argument("--key-dim", type=int, default=S)
    m.add_argument("--attention-units", type=int, default=S,
                   help="attention output width per position (default num_heads * key_dim)")
    m.add_argument("--dense-units", type=int, default=S)
    m.add_argument("--dense-batch-norm", action=argparse.BooleanOptionalAction, default=S,
                   help="BatchNorm in the dense block, as in the authors' code")
    m.add_argument("--n-filters", type=int, default=S)
    m.add_argument("--filter-width", type=int, default=S)
    m.add_argument("--conv-dropout", type=float, default=S)
    m.add_argument("--attention-dropout", type=float, default=S)
    m.add_argument("--dense-dropout", type=float, default=S)


def _patience(text: str):
    """``--patience`` value: a positive integer or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


# keys of a config file that are records, not settings
_RECORD_KEYS = {"seed", "data", "versions", "created", "command", "resumed"}


def _settings_from_file(path) -> tuple[str | None, dict, dict]:
    """``(model name, model overrides, training options)`` from a JSON file.

    Accepts a run's ``config.json`` (``model``, ``model_config``,
    ``training``) or a flat object mixing override and training keys.
    """
    from architectures.config import OVERRIDE_NAMES  # no Keras needed for the names

    cfg = rundir.read_json(path)
    if not isinstance(cfg, dict):
        raise InputError(f"{path}: expected a JSON object")
    model = cfg.get("model")
    if model is not None and not isinstance(model, str):
        raise InputError(f"{path}: 'model' must be a preset name")
    for section in ("model_config", "training"):
        if not isinstance(cfg.get(section) or {}, dict):
            raise InputError(f"{path}: {section!r} must be a JSON object")
    overrides = dict(cfg.get("model_config") or {})
    overrides.pop("name", None)
    if "created" in cfg and overrides:  # a run's record: fields it predates keep their old meaning
        from architectures.presets import upgrade_recorded

        overrides = upgrade_recorded(overrides)
    training = dict(cfg.get("training") or {})
    if "seed" in cfg and not isinstance(cfg.get("data"), dict):  # flat file: seed is a setting
        training.setdefault("seed", cfg["seed"])
    for key, value in cfg.items():
        if key in ("model", "model_config", "training") or key in _RECORD_KEYS:
            continue
        if key in OVERRIDE_NAMES:
            overrides[key] = value
        elif key in TRAINING_FIELDS:
            training[key] = value
        else:
            raise InputError(f"{path}: unknown setting {key!r}")
    return model, overrides, training


def _override_flags() -> tuple[str, ...]:
    """Model overrides settable by flag: every config field but those the data decides."""
    from architectures.config import OVERRIDE_NAMES

    return tuple(name for name in OVERRIDE_NAMES if name not in ("input_length", "n_tasks"))


def run(args) -> int:
    """Entry point of ``python -m glifac train``; returns the exit code.

    Settings, lowest to highest precedence: preset and TrainingConfig
    defaults, the --config file (with --resume and no --config: the run's own
    config.json, so ``--out DIR --resume`` alone continues a run), flags.
    """
    _import_keras()  # before anything imports architectures (which imports Keras)
    given = vars(args)
    base = (None, {}, {})
    if args.config:
        base = _settings_from_file(args.config)
    elif args.resume:
        recorded = _recorded_config(args, given)
        if recorded is not None:
            base = _settings_from_file(recorded)
    model_name, overrides, training = base
    model_name = given.get("model", model_name)
    if model_name is None:
        raise InputError("no model given: pass --model NAME (or a --config file naming one)")
    training.update({k: given[k] for k in TRAINING_FIELDS if k in given})
    overrides.update({k: given[k] for k in _override_flags() if k in given})
    if overrides.get("layer_norm") == "none":
        overrides["layer_norm"] = None
    recipe = training.pop("recipe", DEFAULT_RECIPE)
    train_config = recipe_config(recipe, **training)  # fail on --epochs 0 before reading data
    training["recipe"] = recipe
    out_dir = Path(args.out) if args.out else Path("runs") / f"{model_name}-seed{train_config.seed}"

    import simulate

    dataset = simulate.load(args.data)
    # train() validates the model request before it touches out_dir
    metrics = train(dataset, model_name, out_dir, overrides=overrides, training=training,
                    force=args.force, resume=args.resume, quiet=args.quiet)
    if metrics["status"] != "complete":
        print(f"error: training failed: {metrics['reason']}", file=sys.stderr)
        return 1
    return 0


def _recorded_config(args, given):
    """config.json of the run that --resume targets, if it can be located."""
    if args.out:
        out_dir = Path(args.out)
    elif "model" in given:
        out_dir = Path("runs") / f"{given['model']}-seed{given.get('seed', TrainingConfig.seed)}"
    else:
        return None
    path = out_dir / rundir.CONFIG_FILE
    return path if path.is_file() else None
