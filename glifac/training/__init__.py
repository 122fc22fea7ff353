"""Training: typed settings and named recipes (:mod:`.config`), the fit (:mod:`.fit`),
its Keras callback (:mod:`.monitor`), checkpoints (:mod:`.checkpoint`) and ``glifac train`` (:mod:`.cli`).

Importing this package does not import TensorFlow; :func:`train` does, when called.
"""
from glifac.training.config import DEFAULT_RECIPE, MONITORS, RECIPES, TrainingConfig, recipe_config
from glifac.training.fit import TrainResult, model_for_data, train

__all__ = ["DEFAULT_RECIPE", "MONITORS", "RECIPES", "TrainResult", "TrainingConfig", "model_for_data",
           "recipe_config", "train"]
