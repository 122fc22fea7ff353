"""Find the parts of any Keras 3 convolution-attention model that interpretation reads.

A model built elsewhere (other layer names, extra layers) is read through
three layers found by type along its graph (``model.layers`` is in graph
order), each of which the user may name instead:

``conv``
    the first ``Conv1D``: its filters become PPMs. Its activations are read at the
    input of the pooling layer (after any BatchNorm and activation layers).
``feature``
    the first pooling layer after it (``MaxPooling1D`` / ``AveragePooling1D``):
    per-position filter activity, what GLIFAC correlates; its length must be the
    attention's and its channels the convolution's filters.
``attention``
    the ``MultiHeadAttention`` layer (exactly one, or named). Its scores are
    recomputed by calling the layer on the inputs it receives in the graph,
    so the model need not have been built with ``return_attention_scores``.

Input must be channels-last one-hot ``(L, 4)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from simulate.errors import InputError

POOLING_TYPES = (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D)


@dataclass(frozen=True)
class CanLayers:
    """Names of the layers interpretation reads (see the module docstring).

    Attributes
    ----------
    conv : str
        The first convolution.
    activation : str
        The layer whose output is the filter activations (the pooling layer's input).
    feature : str
        The pooling layer.
    attention : str
        The MultiHeadAttention layer.
    """

    conv: str
    activation: str
    feature: str
    attention: str


def find_can_layers(model: keras.Model, conv: str | None = None, feature: str | None = None,
                    attention: str | None = None) -> CanLayers:
    """Locate the convolution, pooling and attention layers of ``model`` (names override the search).

    Raises
    ------
    InputError
        Input that is not ``(L, 4)``, no (or several) attention layers, no
        convolution or pooling layer, a named layer that does not exist or has
        the wrong type, or shapes that do not line up.
    """
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if shape is None or len(shape) != 3 or shape[2] != 4:
        raise InputError(f"the model's input is {model.input_shape}; interpretation needs one channels-last "
                         "one-hot input of shape (L, 4)")
    if shape[1] is None:
        raise InputError("the model takes sequences of any length (input (None, 4)); interpretation needs a "
                         "fixed length: rebuild it with keras.Input((L, 4)) and copy the weights over "
                         "(fixed.set_weights(model.get_weights()))")
    layers = list(model.layers)
    conv_layer = _named_or_first(model, layers, conv, keras.layers.Conv1D, "convolution (Conv1D)", "--conv-layer")
    attention_layer = _attention(model, layers, attention)
    after_conv = layers[layers.index(conv_layer) + 1:]
    feature_layer = _named_or_first(model, after_conv if feature is None else layers, feature, POOLING_TYPES,
                                    "pooling layer after the first convolution", "--feature-layer",
                                    check_type=False)
    if tuple(conv_layer.strides) != (1,) or tuple(conv_layer.dilation_rate) != (1,):
        raise InputError(f"convolution {conv_layer.name!r} has stride {conv_layer.strides[0]} and dilation "
                         f"{conv_layer.dilation_rate[0]}; filter PPMs need stride 1 and no dilation")
    query_length = _attention_inputs(attention_layer)[0].shape[1]
    feature_shape = feature_layer.output.shape
    if len(feature_shape) != 3 or feature_shape[1] != query_length:
        raise InputError(f"feature layer {feature_layer.name!r} has output {tuple(feature_shape)}, but attention "
                         f"{attention_layer.name!r} sees {query_length} positions; pass --feature-layer NAME")
    if feature_shape[2] != conv_layer.filters:
        raise InputError(f"feature layer {feature_layer.name!r} has {feature_shape[2]} channels, the first "
                         f"convolution {conv_layer.filters} filters; pass --feature-layer NAME")
    activation = _producer(feature_layer.input)
    if activation is None or activation.output.shape[-1] != conv_layer.filters:
        activation = conv_layer
    return CanLayers(conv=conv_layer.name, activation=activation.name, feature=feature_layer.name,
                     attention=attention_layer.name)


def _named_or_first(model, candidates, name, kinds, what, flag, check_type=True):
    if name is not None:
        try:
            layer = model.get_layer(name)
        except ValueError:
            raise InputError(f"the model has no layer named {name!r} ({flag})") from None
        if check_type and not isinstance(layer, kinds):
            raise InputError(f"layer {name!r} is a {type(layer).__name__}, not a {what}")
        return layer
    for layer in candidates:
        if isinstance(layer, kinds):
            return layer
    raise InputError(f"the model has no {what}; name one with {flag} NAME")


def _attention(model, layers, name):
    if name is not None:
        return _named_or_first(model, layers, name, keras.layers.MultiHeadAttention,
                               "MultiHeadAttention layer", "--attention-layer")
    found = [layer for layer in layers if isinstance(layer, keras.layers.MultiHeadAttention)]
    if not found:
        raise InputError("the model has no MultiHeadAttention layer: GLIFAC and local attention read attention "
                         "maps (for an attention-free model use glifac localise or attribution instead)")
    if len(found) > 1:
        raise InputError(f"the model has {len(found)} MultiHeadAttention layers "
                         f"({', '.join(layer.name for layer in found)}); pass --attention-layer NAME")
    return found[0]


# MultiHeadAttention.call's positional order after query and value
_CALL_ORDER = ("key", "query_mask", "value_mask", "key_mask", "attention_mask")


def _attention_inputs(layer):
    """``(query, value, key, attention_mask, use_causal_mask)`` as the layer is called in the graph.

    The masks matter: scores recomputed without them would spread attention where the model never
    lets it go. A query/value/key mask argument (rare; Keras's implicit masks) is refused.
    """
    if not layer._inbound_nodes:
        raise InputError(f"attention layer {layer.name!r} is not connected in the model's graph")
    if len(layer._inbound_nodes) > 1:
        raise InputError(f"attention layer {layer.name!r} is called more than once; interpretation reads one call")
    arguments = layer._inbound_nodes[0].arguments
    args, kwargs = list(arguments.args), dict(arguments.kwargs)
    query = args[0] if args else kwargs["query"]
    value = args[1] if len(args) > 1 else kwargs.get("value", query)
    extra = dict(zip(_CALL_ORDER, args[2:]))
    extra.update({k: v for k, v in kwargs.items() if k in _CALL_ORDER})
    for name in ("query_mask", "value_mask", "key_mask"):
        if extra.get(name) is not None:
            raise InputError(f"attention layer {layer.name!r} is called with {name}; interpretation cannot "
                             "recompute its scores faithfully")
    return query, value, extra.get("key"), extra.get("attention_mask"), bool(kwargs.get("use_causal_mask", False))


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None


class CanProbe:
    """Batched readers of a model's filter activations, pooled features and attention weights.

    Parameters
    ----------
    model : keras.Model
    layers : CanLayers
    """

    def __init__(self, model: keras.Model, layers: CanLayers):
        self.model, self.layers = model, layers
        conv = model.get_layer(layers.conv)
        self.filter_width = int(conv.kernel_size[0])
        if conv.padding == "causal":
            raise InputError(f"convolution {conv.name!r} uses causal padding; filter PPMs need 'same' or 'valid'")
        self.valid_padding = conv.padding == "valid"
        self.attention = model.get_layer(layers.attention)
        query, value, key, mask, self._causal = _attention_inputs(self.attention)
        # the tensors the layer is called with, in this order: query, value, [key], [attention_mask]
        self._optional = [name for name, tensor in (("key", key), ("attention_mask", mask)) if tensor is not None]
        outputs = [model.get_layer(layers.feature).output, query, value] + [t for t in (key, mask) if t is not None]
        self._inputs_probe = keras.Model(model.input, outputs, name="glifac_attention_inputs")
        self._conv_probe = keras.Model(model.input, model.get_layer(layers.activation).output,
                                       name="glifac_conv_probe")

    def features_and_attention(self, x, batch_size: int = 256):
        """``(features (N, L', F), attention (N, heads, L', L'))`` for one-hot ``x`` (N, L, 4)."""
        features, scores = [], []
        for i in range(0, len(x), batch_size):
            outputs = self._inputs_probe(x[i:i + batch_size].astype(np.float32), training=False)
            query, value = outputs[1], outputs[2]
            optional = dict(zip(self._optional, outputs[3:]))
            _, weights = self.attention(query, value, **optional, use_causal_mask=self._causal,
                                        return_attention_scores=True, training=False)
            features.append(np.asarray(outputs[0]))
            scores.append(np.asarray(weights))
        return np.concatenate(features), np.concatenate(scores)

    def conv_activations(self, x, batch_size: int = 256) -> np.ndarray:
        """Filter activations (N, L, F) laid out as a "same"-padded convolution's (valid padding is
        padded back with zeros: output p of a valid convolution covers what same-padded output
        p + (W - 1) // 2 covers)."""
        parts = [np.asarray(self._conv_probe(x[i:i + batch_size].astype(np.float32), training=False))
                 for i in range(0, len(x), batch_size)]
        act = np.concatenate(parts)
        if self.valid_padding:
            left = (self.filter_width - 1) // 2
            act = np.pad(act, ((0, 0), (left, self.filter_width - 1 - left), (0, 0)))
        return act
