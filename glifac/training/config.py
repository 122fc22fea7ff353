"""Training settings: the typed config and the named recipes (``fast``, ``paper``, ``authors``).

Binary cross-entropy and Adam, with one of three recipes (:data:`RECIPES`);
any setting can be overridden on its own.

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
    weights. Keras's ReduceLROnPlateau also wants an improvement of at least
    1e-4; here any improvement counts, for the plateau as for stopping.

``fast`` is the default because it selects weights as the paper does (best
validation AUPR) while stopping runs that have stopped improving: the paper's
full 100 epochs cost 2-3x the time on a CPU (pool-4 presets: 1.5-4 h each on
2 cores), and a run that would still improve after 10 idle epochs is rare.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional

from simulate.errors import InputError
from simulate.validate import check_fields

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
