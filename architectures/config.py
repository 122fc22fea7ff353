"""Typed, validated hyper-parameters of one convolution-attention network.

Pure Python (no Keras import) so that command lines can validate a model
request before paying for the TensorFlow import.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, Optional

from simulate.errors import InputError
from simulate.validate import check_fields, without_neutral

# Activation names a config may use; architectures.layers maps them to Keras.
ACTIVATION_NAMES = ("relu", "exp", "softplus", "gelu", "sigmoid", "tanh", "elu", "linear")
# Where LayerNormalization sits around the attention layer.
LAYER_NORM_CHOICES = (None, "pre", "post", "both")
# Layer stacks the builder knows (architectures.builder.FAMILY_BUILDERS): "can" is the
# convolution-attention network; "cnn" the attention-free stack of AttnGen's model.
FAMILIES = ("can", "cnn")
# Output layers: independent sigmoid tasks (multi-label) or one softmax over classes.
HEADS = ("sigmoid", "softmax")
# Fields added after runs and sweep cells were first recorded, with the value that
# reproduces what every earlier record meant; identity_dict leaves them out at it, so
# sweep cells hashed before they existed keep their ids.
NEUTRAL_DEFAULTS = {"family": "can", "head": "sigmoid", "embedding_units": None, "block_channels": [],
                    "batch_norm_momentum": 0.99}


@dataclass(frozen=True)
class ModelConfig:
    """Every hyper-parameter of the CAN builder.

    Layer stack of the ``"can"`` family (channels-last input ``(input_length, 4)``)::

        Conv1D(n_filters, filter_width, padding="same", use_bias=not batch_norm)
        -> [BatchNorm if batch_norm] -> activation -> MaxPool1D(pool_size)
        -> Dropout(conv_dropout) -> [LayerNorm if layer_norm in {pre, both}]
        -> MultiHeadAttention(num_heads, key_dim, output width attention_units)
        -> [LayerNorm if layer_norm in {post, both}] -> Dropout(attention_dropout)
        -> Flatten -> Dense(dense_units, use_bias=not dense_batch_norm)
        -> [BatchNorm if dense_batch_norm] -> ReLU -> Dropout(dense_dropout)
        -> Dense(n_tasks, head)

    The ``"cnn"`` family (AttnGen's model; the attention fields are unused)::

        [Dense(embedding_units) per position, linear: an embedding lookup of the base]
        -> for each c in block_channels:
               Conv1D(c, filter_width, padding="same") -> [BatchNorm if batch_norm]
               -> activation -> MaxPool1D(pool_size)
        -> Flatten -> Dense(dense_units) -> [BatchNorm if dense_batch_norm] -> ReLU
        -> Dropout(dense_dropout) -> Dense(n_tasks, head)

    Parameters
    ----------
    name : str
        Preset the config came from (recorded, does not change the graph).
    input_length : int
        Sequence length L of the one-hot input ``(N, L, 4)``.
    n_tasks : int
        Number of sigmoid outputs T.
    n_filters, filter_width : int
        First-layer convolution filters and their width.
    activation : str
        One of :data:`ACTIVATION_NAMES`; ``"exp"`` is the exponential
        activation that makes first-layer filters read like motifs.
    batch_norm : bool
        BatchNorm between convolution and activation (conv bias is dropped
        then, because BatchNorm's offset makes it redundant).
    pool_size : int
        MaxPool1D size and stride; attention sees ``input_length // pool_size``
        positions.
    layer_norm : {None, "pre", "post", "both"}
        LayerNormalization before and/or after the attention layer.
    num_heads, key_dim : int
        MultiHeadAttention heads and per-head query/key size.
    attention_units : int or None
        Output width of the attention layer per position. ``None`` (default)
        means ``num_heads * key_dim``, as in the authors' attention layer
        (tfomics: heads concatenated, then Dense(d_model)); Keras's own
        default would project back to the input width (``n_filters``).
    dense_units : int
        Width of the hidden dense layer.
    dense_batch_norm : bool
        BatchNorm between the hidden dense layer and its ReLU, as in the
        authors' code (on in every preset: without it SATORI and the plain
        ReLU presets learn several times slower and CNN20-ReLU ends lower).
    conv_dropout, attention_dropout, dense_dropout : float
        Dropout rates after pooling, after attention and after the dense layer
        (the ``"cnn"`` family uses ``dense_dropout`` only).
    family : {"can", "cnn"}
        Which layer stack (above).
    head : {"sigmoid", "softmax"}
        Output activation: independent tasks (binary cross-entropy) or one
        class per sequence (categorical cross-entropy; the labels must be one-hot).
    embedding_units : int or None
        ``"cnn"`` family: width of the per-position embedding (None: none).
    block_channels : tuple of int
        ``"cnn"`` family: output channels of each convolution block (empty for ``"can"``).
    batch_norm_momentum : float
        Momentum of every BatchNorm's moving statistics (Keras's default 0.99;
        PyTorch's default, ``momentum=0.1`` in its convention, is 0.9 here).
    """

    name: str = "custom"
    input_length: int = 200
    n_tasks: int = 12
    n_filters: int = 32
    filter_width: int = 19
    activation: str = "relu"
    batch_norm: bool = False
    pool_size: int = 4
    layer_norm: Optional[str] = None
    num_heads: int = 8
    key_dim: int = 32
    attention_units: Optional[int] = None
    dense_units: int = 512
    dense_batch_norm: bool = True
    conv_dropout: float = 0.1
    attention_dropout: float = 0.1
    dense_dropout: float = 0.5
    family: str = "can"
    head: str = "sigmoid"
    embedding_units: Optional[int] = None
    block_channels: tuple = ()
    batch_norm_momentum: float = 0.99

    def __post_init__(self):
        check_fields(self, "model override")
        object.__setattr__(self, "block_channels", tuple(self.block_channels))  # JSON gives a list
        if self.family not in FAMILIES:
            raise InputError(f"family must be one of {', '.join(FAMILIES)}; got {self.family!r}")
        if self.head not in HEADS:
            raise InputError(f"head must be one of {', '.join(HEADS)}; got {self.head!r}")
        if not 0.0 <= self.batch_norm_momentum < 1.0:
            raise InputError(f"batch_norm_momentum must be in [0, 1), got {self.batch_norm_momentum}")
        if self.embedding_units is not None and self.embedding_units < 1:
            raise InputError(f"embedding_units must be >= 1 or None, got {self.embedding_units}")
        if any(c < 1 for c in self.block_channels):
            raise InputError(f"block_channels must all be >= 1, got {list(self.block_channels)}")
        if self.family == "cnn" and not self.block_channels:
            raise InputError("the cnn family needs at least one entry in block_channels")
        if self.family == "can" and (self.block_channels or self.embedding_units is not None):
            raise InputError("block_channels and embedding_units belong to the cnn family (family='cnn')")
        if self.family == "cnn" and self.input_length < self.pool_size ** len(self.block_channels):
            raise InputError(f"{len(self.block_channels)} pooling blocks of size {self.pool_size} leave no "
                             f"positions of an input of length {self.input_length}")
        for key in ("input_length", "n_tasks", "n_filters", "filter_width",
                    "pool_size", "num_heads", "key_dim", "dense_units"):
            if getattr(self, key) < 1:
                raise InputError(f"{key} must be >= 1, got {getattr(self, key)}")
        for key in ("conv_dropout", "attention_dropout", "dense_dropout"):
            if not 0.0 <= getattr(self, key) < 1.0:
                raise InputError(f"{key} must be in [0, 1), got {getattr(self, key)}")
        if self.attention_units is not None and self.attention_units < 1:
            raise InputError(f"attention_units must be >= 1 or None, got {self.attention_units}")
        if self.activation not in ACTIVATION_NAMES:
            raise InputError(
                f"activation must be one of {', '.join(ACTIVATION_NAMES)}; got {self.activation!r}"
            )
        if self.layer_norm not in LAYER_NORM_CHOICES:
            raise InputError(
                f"layer_norm must be one of None, 'pre', 'post', 'both'; got {self.layer_norm!r}"
            )
        if self.pool_size > self.input_length:
            raise InputError(
                f"pool_size ({self.pool_size}) is larger than input_length ({self.input_length})"
            )

    @property
    def has_attention(self) -> bool:
        """True for the convolution-attention family (there is an attention layer to read)."""
        return self.family == "can"

    @property
    def attention_output_dim(self) -> int:
        """Attention output width per position (``attention_units`` resolved)."""
        return self.attention_units or self.num_heads * self.key_dim

    @property
    def attention_length(self) -> int:
        """Number of pooled positions L' that attention operates on."""
        return self.input_length // self.pool_size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field; ``ModelConfig(**d)`` round-trips."""
        return {**dataclasses.asdict(self), "block_channels": list(self.block_channels)}

    def identity_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without the fields at :data:`NEUTRAL_DEFAULTS` (what identifies a sweep cell)."""
        return without_neutral(self.to_dict(), NEUTRAL_DEFAULTS)

    def replace(self, **overrides) -> "ModelConfig":
        """Copy with ``overrides`` applied (unknown names raise InputError)."""
        check_override_names(overrides)
        return dataclasses.replace(self, **overrides)


FIELD_NAMES = tuple(f.name for f in fields(ModelConfig))
# Names users may override (the preset name itself is not an override).
OVERRIDE_NAMES = tuple(n for n in FIELD_NAMES if n != "name")

def check_override_names(overrides: dict) -> None:
    """Raise InputError naming the first key that is not a config field."""
    unknown = sorted(set(overrides) - set(OVERRIDE_NAMES))
    if unknown:
        raise InputError(
            f"unknown model override {unknown[0]!r}; valid overrides: {', '.join(OVERRIDE_NAMES)}"
        )
