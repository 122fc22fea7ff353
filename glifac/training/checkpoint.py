"""Per-epoch checkpoint of a training run: what ``--resume`` needs, in one atomically renamed file.

``RUN/checkpoint/checkpoint.npz`` holds the model's variables (``model_<i>``),
the optimizer's slots (``optimizer_<i>``), the best epoch's weights
(``best_<i>``) and the trainer's state as JSON (``state``: epoch, history, best
value, plateau and early-stopping counters, learning rate, ``n_model``,
``n_optimizer``, ``n_best``). One file, so the rename commits them together; a
``.keras`` save per epoch (~40 ms) would cost more than the trainer's speed
budget on small data, the npz ~10 ms. The folder is deleted when the run ends.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.files import atomic_path, to_jsonable

CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_FILE = "checkpoint.npz"
_GROUPS = ("model", "optimizer", "best")


def checkpoint_path(run_dir) -> Path:
    """Where a run's checkpoint lives."""
    return Path(run_dir) / CHECKPOINT_DIR / CHECKPOINT_FILE


def has_checkpoint(run_dir) -> bool:
    """True when an interrupted run can be resumed (it finished at least one epoch)."""
    return checkpoint_path(run_dir).is_file()


def save_checkpoint(run_dir, model, best_weights, state: dict) -> None:
    """Write the checkpoint of ``model`` (variables and optimizer slots), ``best_weights`` and ``state``."""
    groups = {
        "model": [v.numpy() for v in model.variables],
        "optimizer": [v.numpy() for v in model.optimizer.variables],
        "best": best_weights,
    }
    state = {**state, **{f"n_{g}": len(values) for g, values in groups.items()}}
    arrays = {f"{g}_{i}": a for g, values in groups.items() for i, a in enumerate(values)}
    arrays["state"] = np.array(json.dumps(to_jsonable(state)))
    with atomic_path(checkpoint_path(run_dir)) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def load_checkpoint(run_dir: Path) -> tuple[dict, dict]:
    """``(state, arrays)`` of an interrupted run's checkpoint (``arrays``: group -> list of arrays).

    Raises
    ------
    InputError
        No checkpoint (the run was interrupted before its first epoch ended) or an unreadable one.
    """
    path = checkpoint_path(run_dir)
    if not path.is_file():
        raise InputError(f"cannot resume {run_dir}: no checkpoint (interrupted before the first epoch ended)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            state = json.loads(str(npz["state"]))
            arrays = {group: [npz[f"{group}_{i}"] for i in range(state["n_" + group])] for group in _GROUPS}
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot resume {run_dir}: unreadable checkpoint ({exc})") from None
    return state, arrays


def restore_variables(model, arrays: dict, run_dir) -> None:
    """Assign a checkpoint's model variables and optimizer slots to a freshly built, compiled ``model``."""
    model.optimizer.build(model.trainable_variables)
    for group, variables in (("model", model.variables), ("optimizer", model.optimizer.variables)):
        values = arrays[group]
        if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
            raise InputError(f"cannot resume {run_dir}: checkpoint does not match the model")
        for v, a in zip(variables, values):
            v.assign(a)
