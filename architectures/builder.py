"""One builder for every preset: ModelConfig -> uncompiled keras.Model."""
from __future__ import annotations

import keras

from architectures import layers as L
from architectures.config import ModelConfig
from architectures.presets import resolve_config


def build_model(name: str, **overrides) -> keras.Model:
    """Build the preset ``name`` with ``overrides`` applied.

    Parameters
    ----------
    name : str
        One of :func:`architectures.available_models`.
    **overrides
        :class:`architectures.ModelConfig` fields, e.g. ``pool_size=4``,
        ``activation="exp"``, ``n_filters=8``, ``input_length=200``.

    Returns
    -------
    keras.Model
        Uncompiled; input ``(N, input_length, 4)`` one-hot (A, C, G, T),
        output ``(N, n_tasks)`` sigmoid probabilities. Model name is ``name``.

    Raises
    ------
    InputError
        Unknown preset (a ValueError listing the available names), unknown
        override, or an override of the wrong type.
    """
    return build_from_config(resolve_config(name, **overrides))


def build_from_config(config: ModelConfig) -> keras.Model:
    """Build the model described by ``config`` with its family's builder (:data:`FAMILY_BUILDERS`)."""
    return FAMILY_BUILDERS[config.family](config)


def build_can(config: ModelConfig) -> keras.Model:
    """Build the CAN described by ``config`` (see :class:`ModelConfig`).

    Design choices:

    * the convolution has no bias when BatchNorm follows it (BatchNorm's beta
      is the bias), and a bias otherwise (the authors' code never had one);
    * the dense block is Dense (no bias) -> BatchNorm -> ReLU -> Dropout, as
      in the authors' code (``dense_batch_norm=False`` drops the BatchNorm).
      Without it SATORI and the ReLU presets learn several times slower and
      CNN20-ReLU misses motifs (README, "The paper's nine models").

    The attention layer is called with ``return_attention_scores=True``; the
    scores ``(N, heads, L', L')`` are an internal tensor of the graph, which
    :func:`architectures.pooled_features_and_attention` exposes without
    re-calling the layer.
    """
    c = config
    inputs = keras.Input(shape=(c.input_length, 4), name=L.INPUT)
    x = keras.layers.Conv1D(
        c.n_filters, c.filter_width, padding="same", use_bias=not c.batch_norm, name=L.CONV
    )(inputs)
    if c.batch_norm:
        x = keras.layers.BatchNormalization(momentum=c.batch_norm_momentum, name=L.CONV_BATCH_NORM)(x)
    x = keras.layers.Activation(L.ACTIVATIONS[c.activation], name=L.CONV_ACTIVATION)(x)
    x = keras.layers.MaxPooling1D(pool_size=c.pool_size, name=L.POOL)(x)
    x = keras.layers.Dropout(c.conv_dropout, name=L.POOL_DROPOUT)(x)
    if c.layer_norm in ("pre", "both"):
        x = keras.layers.LayerNormalization(name=L.ATTENTION_PRE_NORM)(x)
    x, _scores = keras.layers.MultiHeadAttention(
        num_heads=c.num_heads, key_dim=c.key_dim, output_shape=c.attention_output_dim, name=L.ATTENTION
    )(x, x, return_attention_scores=True)
    if c.layer_norm in ("post", "both"):
        x = keras.layers.LayerNormalization(name=L.ATTENTION_POST_NORM)(x)
    x = keras.layers.Dropout(c.attention_dropout, name=L.ATTENTION_DROPOUT)(x)
    x = keras.layers.Flatten(name=L.FLATTEN)(x)
    x = keras.layers.Dense(c.dense_units, use_bias=not c.dense_batch_norm, name=L.DENSE)(x)
    if c.dense_batch_norm:
        x = keras.layers.BatchNormalization(momentum=c.batch_norm_momentum, name=L.DENSE_BATCH_NORM)(x)
    x = keras.layers.Activation("relu", name=L.DENSE_ACTIVATION)(x)
    x = keras.layers.Dropout(c.dense_dropout, name=L.DENSE_DROPOUT)(x)
    outputs = keras.layers.Dense(c.n_tasks, activation=c.head, name=L.OUTPUT)(x)
    return keras.Model(inputs, outputs, name=c.name)


def build_cnn(config: ModelConfig) -> keras.Model:
    """Build the attention-free ``"cnn"`` family (AttnGen's model; see :class:`ModelConfig`).

    The embedding is a per-position Dense of the one-hot input: on a one-hot
    row it returns the weight row of that base plus the bias, which is what an
    embedding lookup returns.
    """
    c = config
    inputs = keras.Input(shape=(c.input_length, 4), name=L.INPUT)
    x = inputs
    if c.embedding_units is not None:
        x = keras.layers.Dense(c.embedding_units, name=L.EMBEDDING)(x)
    for block, channels in enumerate(c.block_channels):
        x = keras.layers.Conv1D(channels, c.filter_width, padding="same", use_bias=not c.batch_norm,
                                name=L.block_layer(L.CONV, block))(x)
        if c.batch_norm:
            x = keras.layers.BatchNormalization(momentum=c.batch_norm_momentum,
                                                name=L.block_layer(L.CONV_BATCH_NORM, block))(x)
        x = keras.layers.Activation(L.ACTIVATIONS[c.activation], name=L.block_layer(L.CONV_ACTIVATION, block))(x)
        x = keras.layers.MaxPooling1D(pool_size=c.pool_size, name=L.block_layer(L.POOL, block))(x)
    x = keras.layers.Flatten(name=L.FLATTEN)(x)
    x = keras.layers.Dense(c.dense_units, use_bias=not c.dense_batch_norm, name=L.DENSE)(x)
    if c.dense_batch_norm:
        x = keras.layers.BatchNormalization(momentum=c.batch_norm_momentum, name=L.DENSE_BATCH_NORM)(x)
    x = keras.layers.Activation("relu", name=L.DENSE_ACTIVATION)(x)
    x = keras.layers.Dropout(c.dense_dropout, name=L.DENSE_DROPOUT)(x)
    outputs = keras.layers.Dense(c.n_tasks, activation=c.head, name=L.OUTPUT)(x)
    return keras.Model(inputs, outputs, name=c.name)


# ModelConfig.family -> builder
FAMILY_BUILDERS = {"can": build_can, "cnn": build_cnn}

