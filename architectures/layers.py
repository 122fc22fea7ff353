"""Layer names shared by the builder and the accessors, and custom functions.

Importing this module registers the exponential activation with Keras, which
``keras.saving.load_model(path, safe_mode=True)`` needs; ``import
architectures`` does it.
"""
from __future__ import annotations

import keras

# Deterministic layer names: analysis code finds layers by these, never by index.
INPUT = "sequence"
EMBEDDING = "embedding"  # cnn family: per-position Dense of the one-hot base, output (N, L, d)
CONV = "conv"
CONV_BATCH_NORM = "conv_batch_norm"
CONV_ACTIVATION = "conv_activation"  # output: (N, L, F) filter activations
POOL = "pool"  # output: (N, L', F) pooled feature maps, L' = L // pool_size
POOL_DROPOUT = "pool_dropout"
ATTENTION_PRE_NORM = "attention_pre_norm"
ATTENTION = "attention"  # MultiHeadAttention, called with return_attention_scores=True
ATTENTION_POST_NORM = "attention_post_norm"
ATTENTION_DROPOUT = "attention_dropout"
FLATTEN = "flatten"
DENSE = "dense"
DENSE_BATCH_NORM = "dense_batch_norm"
DENSE_ACTIVATION = "dense_activation"
DENSE_DROPOUT = "dense_dropout"
OUTPUT = "output"


def block_layer(name: str, block: int) -> str:
    """Name of a layer of the cnn family's convolution block ``block`` (0-based): block 0 uses the
    CAN's names (``conv``, ``conv_activation``, ``pool``), so filter tools find its first layer;
    later blocks add ``_<block + 1>`` (``conv_2``, ...)."""
    return name if block == 0 else f"{name}_{block + 1}"


@keras.saving.register_keras_serializable(package="glifac", name="exponential")
def exponential(x):
    """Exponential activation ``exp(x)`` (Koo & Ploenzke 2021).

    Parameters
    ----------
    x : tensor of any shape

    Returns
    -------
    tensor, same shape as ``x``
    """
    return keras.ops.exp(x)


# config activation name -> Keras activation (string for built-ins).
ACTIVATIONS = {
    "relu": "relu",
    "exp": exponential,
    "softplus": "softplus",
    "gelu": "gelu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "elu": "elu",
    "linear": "linear",
}
