"""glifac: interpretable convolution-attention networks for regulatory genomics.

The library API (typed configs in, result objects out)::

    import simulate, glifac
    simulate.make_dataset("data/sim.h5", n=100_000, seed=0)
    run = glifac.train("data/sim.h5", "CNN20-Exp", glifac.recipe_config("paper", epochs=100), "runs/cnn20")
    result = glifac.interpret(run.run_dir, glifac.InterpretConfig(thresholds="0.1,0.5"))
    result.summary["headline"]

Names are imported on first use, so ``import glifac`` does not import TensorFlow.
"""
from glifac._version import __version__

_EXPORTS = {
    "train": "glifac.training",
    "TrainResult": "glifac.training",
    "TrainingConfig": "glifac.training",
    "recipe_config": "glifac.training",
    "RECIPES": "glifac.training",
    "model_for_data": "glifac.training",
    "interpret": "glifac.interpretation",
    "InterpretConfig": "glifac.interpretation",
    "InterpretResult": "glifac.interpretation",
    "read_maps": "glifac.interpretation",
    "gia": "glifac.gia",
    "GIAConfig": "glifac.gia",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'glifac' has no attribute {name!r}")
