"""Convolution-attention network (CAN) factory.

>>> import architectures
>>> architectures.available_models()[:2]
['CNN4-ReLU', 'CNN4-ReLU-Norm']
>>> model = architectures.build_model("CNN20-Exp", n_filters=8)   # doctest: +SKIP

Configs and presets are plain Python; the Keras parts (builder, accessors,
layers) load on first use. :func:`load_model` registers the custom exponential
activation before it loads, as ``keras.saving.load_model(path, safe_mode=True)``
needs (importing ``architectures.layers`` does the same).
"""
from __future__ import annotations

from architectures.config import ACTIVATION_NAMES, OVERRIDE_NAMES, ModelConfig
from architectures.presets import (
    MODEL_CONFIGS,
    available_models,
    check_model_name,
    config_from_dict,
    resolve_config,
)

# Names whose modules import Keras: loaded on first use, so that reading presets
# and validating configs (every command line does, before parsing finishes)
# costs no TensorFlow import.
_KERAS_NAMES = {
    "conv_activations": "architectures.access",
    "has_attention": "architectures.access",
    "pooled_features_and_attention": "architectures.access",
    "predict_in_batches": "architectures.access",
    "build_from_config": "architectures.builder",
    "build_model": "architectures.builder",
    "ATTENTION": "architectures.layers",
    "CONV": "architectures.layers",
    "CONV_ACTIVATION": "architectures.layers",
    "POOL": "architectures.layers",
    "exponential": "architectures.layers",
}
_KERAS_MODULES = ("access", "builder", "layers")


def __getattr__(name):
    import importlib

    if name in _KERAS_NAMES:
        return getattr(importlib.import_module(_KERAS_NAMES[name]), name)
    if name in _KERAS_MODULES:
        return importlib.import_module(f"architectures.{name}")
    raise AttributeError(f"module 'architectures' has no attribute {name!r}")


def load_model(path):
    """Reload a ``.keras`` file saved from a built model (``safe_mode=True``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    keras.Model

    Raises
    ------
    InputError
        The file is not a loadable Keras model (or safe mode refuses it).
    """
    import keras

    import architectures.layers  # noqa: F401  registers the exponential activation
    from simulate.errors import InputError

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (ValueError, TypeError, OSError, KeyError) as exc:  # corrupt file, unsafe content, not a model
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot load model {path}: {reason}") from None


__all__ = [
    "ACTIVATION_NAMES",
    "ATTENTION",
    "CONV",
    "CONV_ACTIVATION",
    "MODEL_CONFIGS",
    "ModelConfig",
    "OVERRIDE_NAMES",
    "POOL",
    "available_models",
    "build_from_config",
    "build_model",
    "check_model_name",
    "config_from_dict",
    "conv_activations",
    "exponential",
    "has_attention",
    "load_model",
    "pooled_features_and_attention",
    "predict_in_batches",
    "resolve_config",
]
