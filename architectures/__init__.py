"""Convolution-attention network (CAN) factory.

>>> import architectures
>>> architectures.available_models()[:2]
['CNN4-ReLU', 'CNN4-ReLU-Norm']
>>> model = architectures.build_model("CNN20-Exp", n_filters=8)   # doctest: +SKIP

Importing this package registers the custom exponential activation, so
``keras.saving.load_model(path, safe_mode=True)`` works after ``import
architectures`` (or use :func:`load_model`).
"""
from __future__ import annotations

from architectures.access import (
    conv_activations,
    has_attention,
    pooled_features_and_attention,
    predict_in_batches,
)
from architectures.builder import build_from_config, build_model
from architectures.config import ACTIVATION_NAMES, OVERRIDE_NAMES, ModelConfig
from architectures.layers import (
    ATTENTION,
    CONV,
    CONV_ACTIVATION,
    POOL,
    exponential,
)
from architectures.presets import (
    MODEL_CONFIGS,
    available_models,
    check_model_name,
    config_from_dict,
    resolve_config,
)


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
