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

``attngen``
    as AttnGen (Shabani Nia & Karkehabadi 2026) trains: batch 64, Adam 1e-3
    with decoupled weight decay 1e-4, gradient clipping at global norm 1.0,
    no learning-rate schedule, stop after 10 epochs without a better
    validation accuracy (keeping that epoch's weights), seed 42, and the
    ``attngen`` objective (mask 10% of positions by embedding importance,
    KL weight 0.1). The objective's settings are documented in
    :mod:`glifac.training.attngen`.

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
from simulate.validate import check_fields, without_neutral

MONITORS = {"val_aupr": "max", "val_loss": "min", "val_accuracy": "max"}
# training objectives: plain cross-entropy, or AttnGen's masked consistency (glifac.training.attngen)
OBJECTIVES = ("plain", "attngen")
# where the attngen objective's per-position importance comes from (glifac.training.attngen)
IMPORTANCES = ("embedding", "attention", "saliency", "random")
# Fields added after runs and sweep cells were first recorded, at the value that
# reproduces what earlier records meant (left out of a sweep cell's identity at it).
NEUTRAL_DEFAULTS = {"weight_decay": 0.0, "clip_norm": None, "objective": "plain", "mask_fraction": 0.0,
                    "kl_weight": 0.1, "importance": "embedding"}


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
    monitor : {"val_aupr", "val_loss", "val_accuracy"}
        What decides improvement, the learning-rate plateau, early stopping
        and which epoch's weights are kept (macro validation AUPR, maximised;
        validation loss, minimised; or validation accuracy, maximised).
    recipe : str
        Name of the recipe these settings started from (recorded; individual
        settings may have been overridden since).
    seed : int
        Seeds Python, NumPy and TensorFlow; ops are made deterministic.
    weight_decay : float
        Adam's decoupled weight decay (0: none).
    clip_norm : float or None
        Clip each step's gradients to this global norm (None: no clipping).
    objective : {"plain", "attngen"}
        ``"attngen"`` adds AttnGen's masked-consistency term
        (:mod:`glifac.training.attngen`); with ``mask_fraction`` 0 it is plain training.
    mask_fraction : float
        AttnGen's alpha: floor(alpha * L) positions masked per sequence, in [0, 1).
    kl_weight : float
        AttnGen's lambda, the weight of KL(f(x) || f(masked x)); 0 is the
        "mask without KL" ablation (the masked copies train with the labels instead).
    importance : {"embedding", "attention", "saliency", "random"}
        Which positions are masked: the lowest-importance ones by this source.
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
    weight_decay: float = 0.0
    clip_norm: Optional[float] = None
    objective: str = "plain"
    mask_fraction: float = 0.0
    kl_weight: float = 0.1
    importance: str = "embedding"

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
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise InputError(f"weight_decay must be a finite number >= 0, got {self.weight_decay}")
        if self.clip_norm is not None and not (self.clip_norm > 0 and math.isfinite(self.clip_norm)):
            raise InputError(f"clip_norm must be a positive number (or none), got {self.clip_norm}")
        if self.objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if not 0 <= self.mask_fraction < 1:
            raise InputError(f"mask fraction must be in [0, 1), got {self.mask_fraction}")
        if not (self.kl_weight >= 0 and math.isfinite(self.kl_weight)):
            raise InputError(f"KL weight must be a finite number >= 0, got {self.kl_weight}")
        if self.importance not in IMPORTANCES:
            raise InputError(f"unknown importance {self.importance!r}; choose from {', '.join(IMPORTANCES)}")
        if self.objective == "plain" and self.mask_fraction > 0:
            raise InputError("a mask fraction needs the attngen objective (--objective attngen)")
        if not self.masks:  # nothing is masked: plain training, whatever lambda and the source say
            for key in ("objective", "kl_weight", "importance"):
                object.__setattr__(self, key, NEUTRAL_DEFAULTS[key])

    @property
    def masks(self) -> bool:
        """True when training masks positions (the attngen objective with a mask fraction above 0)."""
        return self.objective == "attngen" and self.mask_fraction > 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def identity_dict(self) -> dict:
        """:meth:`to_dict` without the fields at :data:`NEUTRAL_DEFAULTS` (what identifies a sweep cell)."""
        return without_neutral(self.to_dict(), NEUTRAL_DEFAULTS)


# recipe name -> settings that differ from TrainingConfig's defaults (the fast recipe)
RECIPES: dict[str, dict] = {
    "fast": {},
    "paper": {"patience": None},
    "authors": {"batch_size": 200, "lr_factor": 0.2, "lr_patience": 10, "patience": 15, "monitor": "val_loss"},
    "attngen": {"batch_size": 64, "weight_decay": 1e-4, "clip_norm": 1.0, "lr_factor": 1.0, "patience": 10,
                "monitor": "val_accuracy", "seed": 42, "objective": "attngen", "mask_fraction": 0.1,
                "kl_weight": 0.1, "importance": "embedding"},
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


def objective_problem(model_config, training: TrainingConfig) -> str | None:
    """Why ``training`` cannot train ``model_config`` (None when it can): masking by attention needs
    an attention layer."""
    if training.masks and training.importance == "attention" and not model_config.has_attention:
        return (f"--importance attention needs a model with an attention layer ({model_config.name} has none); "
                "use embedding, saliency or random")
    return None


MAX_SEED = 2**32 - 1  # numpy's seed range (keras.utils.set_random_seed seeds numpy)

TRAINING_FIELDS = tuple(f.name for f in dataclasses.fields(TrainingConfig))
