"""Named CAN presets of Ghotra, Lee & Koo (2021) as one table.

Naming: ``CNN<pool>-<activation>[-Norm]``; ``-Norm`` adds BatchNorm in the
convolution block and LayerNorm before attention. ``CNN10-ReLU`` and
``CNN10-Exp`` are Appendix E's design-search bases, "with layer norm": LayerNorm
before attention, no BatchNorm (the authors' commands pass ``-ln 1 -bn 0`` for
every pool, heads, key-size and dense variation). ``SATORI`` follows Ullah &
Ben-Hur (2021): BatchNorm, softplus, pool 6, LayerNorm after attention.
``AttnGen-CNN`` is the attention-free model of AttnGen (Shabani Nia &
Karkehabadi 2026): a 128-wide embedding, three blocks of Conv1D(8) + BatchNorm
+ ReLU + MaxPool(2) with 32, 16 and 4 channels, a hidden dense layer with
dropout 0.3 and a softmax head (the paper gives no hidden width; 64 here), and
BatchNorm momentum 0.9, PyTorch's default (Keras's 0.99 let the moving statistics
lag behind: validation accuracy swung by 0.3 between epochs on 7k sequences).
"""
from __future__ import annotations

import dataclasses

from architectures.config import ModelConfig, check_override_names
from simulate.errors import InputError

_NORM = {"batch_norm": True, "layer_norm": "pre"}

# name -> fields that differ from ModelConfig defaults
MODEL_CONFIGS: dict[str, dict] = {
    "CNN4-ReLU": {"pool_size": 4, "activation": "relu"},
    "CNN4-ReLU-Norm": {"pool_size": 4, "activation": "relu", **_NORM},
    "CNN4-Exp": {"pool_size": 4, "activation": "exp"},
    "CNN4-Exp-Norm": {"pool_size": 4, "activation": "exp", **_NORM},
    "CNN10-ReLU": {"pool_size": 10, "activation": "relu", "layer_norm": "pre"},
    "CNN10-Exp": {"pool_size": 10, "activation": "exp", "layer_norm": "pre"},
    "CNN20-ReLU": {"pool_size": 20, "activation": "relu"},
    "CNN20-ReLU-Norm": {"pool_size": 20, "activation": "relu", **_NORM},
    "CNN20-Exp": {"pool_size": 20, "activation": "exp"},
    "CNN20-Exp-Norm": {"pool_size": 20, "activation": "exp", **_NORM},
    "SATORI": {"pool_size": 6, "activation": "softplus", "batch_norm": True, "layer_norm": "post"},
    "AttnGen-CNN": {"family": "cnn", "embedding_units": 128, "block_channels": (32, 16, 4), "filter_width": 8,
                    "pool_size": 2, "activation": "relu", "batch_norm": True, "dense_units": 64,
                    "dense_batch_norm": False, "dense_dropout": 0.3, "head": "softmax", "batch_norm_momentum": 0.9},
}


def available_models() -> list[str]:
    """Preset names accepted by :func:`build_model`, in table order."""
    return list(MODEL_CONFIGS)


def check_model_name(name) -> None:
    """Raise InputError (a ValueError) listing the presets if ``name`` is unknown."""
    if not isinstance(name, str) or name not in MODEL_CONFIGS:
        raise InputError(
            f"unknown model {name!r}; available models: {', '.join(available_models())}"
        )


def resolve_config(name: str, **overrides) -> ModelConfig:
    """Preset ``name`` with ``overrides`` applied, validated.

    Parameters
    ----------
    name : str
        One of :func:`available_models`.
    **overrides
        Any :class:`ModelConfig` field except ``name`` (e.g. ``pool_size=4``,
        ``activation="exp"``, ``input_length=200``, ``n_tasks=12``).

    Returns
    -------
    ModelConfig

    Raises
    ------
    InputError
        Unknown preset (message lists them), unknown override name, or an
        override of the wrong type or out of range (message names it).
    """
    check_model_name(name)
    check_override_names(overrides)
    values = {**MODEL_CONFIGS[name], **overrides, "name": name}
    return ModelConfig(**values)


# fields added after configs were first recorded -> the value every earlier record meant
_RECORDED_BEFORE = {"dense_batch_norm": False}


def upgrade_recorded(values: dict) -> dict:
    """A recorded model config with fields it predates set to what it described."""
    return {**_RECORDED_BEFORE, **values}


def config_from_dict(values: dict) -> ModelConfig:
    """Rebuild a config recorded with :meth:`ModelConfig.to_dict`."""
    values = upgrade_recorded(values)
    known = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"unknown model config key {unknown[0]!r}")
    return ModelConfig(**values)
