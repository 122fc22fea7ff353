"""The trainer's Keras callback: validation, learning-rate plateau, early stopping, checkpoint, progress.

One callback rather than Keras's ReduceLROnPlateau + EarlyStopping +
ModelCheckpoint so that their state (best value, wait counters) is one record,
checkpointed atomically with the weights and restored on ``--resume``.
Validation is one forward pass per epoch (compiled ``predict_on_batch`` in
chunks), from which the loss, the macro and the pooled AUROC and AUPR are all
computed.

Imported by :func:`glifac.training.fit.train` only, after TensorFlow is loaded.
"""
from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path

import keras
import numpy as np

from analysis.classification import classification_metrics, cross_entropy
from architectures.access import predict_in_batches
from glifac.training.checkpoint import save_checkpoint
from glifac.training.config import MONITORS
from simulate.files import atomic_write_text

HISTORY_FILE = "history.csv"
# history.csv columns, one row per epoch
HISTORY_FIELDS = ("epoch", "loss", "val_loss", "val_accuracy", "val_auroc", "val_aupr", "val_auroc_pooled",
                  "val_aupr_pooled", "lr", "seconds")
# Validation/test predictions use big batches: inference memory is small.
PREDICT_BATCH = 1000


class Monitor(keras.callbacks.Callback):
    """Per-epoch validation, LR plateau, early stopping, checkpoint and progress (see the module docstring).

    Parameters
    ----------
    out_dir : Path
        The run directory (history.csv and the checkpoint go there).
    config : TrainingConfig
    x_valid : numpy.ndarray, shape (N, L, 4), float32
    y_valid : numpy.ndarray, shape (N, T)
    task_names : sequence of str, length T
    state, best_weights : optional
        A checkpoint's trainer state and best weights, on resume.
    quiet : bool
        No per-epoch line.
    head : {"sigmoid", "softmax"}
        The model's output: decides the validation loss and accuracy.
    """

    def __init__(self, out_dir, config, x_valid, y_valid, task_names, *, state=None,
                 best_weights=None, quiet=False, head="sigmoid"):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.config = config
        self.x_valid, self.y_valid = x_valid, y_valid
        self.task_names = list(task_names)
        self.quiet = quiet
        self.head = head
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
        # loaded best weights mean nothing if no epoch ever had a defined monitored value
        self._best_weights = (best_weights or None) if math.isfinite(self.best) else None
        self._t0 = None

    def best_row(self) -> dict:
        """The history row of the best epoch (empty if none was defined)."""
        return next((row for row in self.history if row["epoch"] == self.best_epoch), {})

    def best_weights(self):
        """Weights of the best epoch (the current weights if the monitored value was never defined)."""
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
            y_prob = predict_in_batches(self.model, self.x_valid, PREDICT_BATCH)
        if y_prob is None or not np.all(np.isfinite(y_prob)):
            what = f"training loss {loss}" if y_prob is None else "non-finite validation predictions"
            self.failure = f"diverged: {what} in epoch {self.epoch}"
            self.model.stop_training = True
            self._print(f"epoch {self.epoch:3d}/{self.config.epochs}  {self.failure}; stopping")
            return
        val = classification_metrics(self.y_valid, y_prob, self.task_names, self.head)
        val_loss = cross_entropy(self.y_valid, y_prob, self.head)
        value = {"val_aupr": val["aupr"], "val_loss": val_loss, "val_accuracy": val["accuracy"]}[self.config.monitor]
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
            "val_accuracy": val["accuracy"],
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
        write_history(self.out_dir / HISTORY_FILE, self.history)
        self._print(
            f"epoch {self.epoch:3d}/{self.config.epochs}  loss {loss:.4f}  "
            f"val_loss {row['val_loss']:.4f}  val_acc {val['accuracy']:.4f}  val_aupr {val['aupr']:.4f}  "
            f"val_auroc {val['auroc']:.4f}  lr {lr:.1e}  {row['seconds']:.1f}s"
            + ("  *" if improved else "")
            + ("  (early stop)" if self.stopped else "")
        )

    def _checkpoint(self, new_lr):
        state = {
            "epoch": self.epoch, "epochs": self.config.epochs,
            "history": self.history, "best": self.best,
            "best_epoch": self.best_epoch, "wait": self.wait, "lr_wait": self.lr_wait,
            "lr": new_lr, "stopped": self.stopped,
        }
        save_checkpoint(self.out_dir, self.model, self.best_weights(), state)

    def _print(self, line):
        if not self.quiet:
            print(line, flush=True)



def write_history(path, rows) -> None:
    """Write ``history.csv`` (:data:`HISTORY_FIELDS`; floats to 6 significant digits) atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())
