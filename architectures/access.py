"""Read intermediate tensors of a built (or reloaded) CAN.

Probe sub-models are built once per model and cached, so calling the
accessors batch after batch only pays for the forward pass.
"""
from __future__ import annotations

import weakref

import keras
import numpy as np

from architectures import layers as L
from simulate.errors import InputError

# model -> {probe kind: keras.Model}; weak keys so probes die with the model.
_PROBES: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()


def has_attention(model: keras.Model) -> bool:
    """True when ``model`` has a MultiHeadAttention layer named ``"attention"``."""
    try:
        layer = model.get_layer(L.ATTENTION)
    except ValueError:
        return False
    return isinstance(layer, keras.layers.MultiHeadAttention)


def conv_activations(model: keras.Model, x, batch_size: int = 256) -> np.ndarray:
    """First-layer filter activations (after BatchNorm and the activation).

    Parameters
    ----------
    model : keras.Model
        Built by :func:`architectures.build_model` or reloaded from ``.keras``.
    x : array (N, L, 4)
        One-hot sequences, channels last.
    batch_size : int
        Forward-pass batch size.

    Returns
    -------
    np.ndarray, float32, shape (N, L, F)
        Output of the ``"conv_activation"`` layer, F = number of filters.
    """
    probe = _probe(model, "conv", lambda: [_layer(model, L.CONV_ACTIVATION).output])
    return _run(probe, x, batch_size)[0]


def pooled_features_and_attention(model: keras.Model, x, batch_size: int = 256):
    """Pooled feature maps and attention weights for a batch of sequences.

    Features are the output of the pooling layer (``"pool"``), i.e. filter
    activity per pooled position, taken *before* the optional pre-attention
    LayerNorm (which rescales across filters and would blur what "filter f is
    active here" means). Dropout between the two is inactive at inference.

    Parameters
    ----------
    model : keras.Model
        Built by :func:`architectures.build_model` or reloaded from ``.keras``.
    x : array (N, L, 4)
        One-hot sequences, channels last.
    batch_size : int
        Forward-pass batch size.

    Returns
    -------
    features : np.ndarray, float32, shape (N, L', F)
        L' = L // pool_size, F = number of filters.
    attention : np.ndarray, float32, shape (N, heads, L', L')
        Softmax attention weights; ``attention[n, h, i, :]`` is how query
        position i distributes attention over key positions, summing to 1.

    Raises
    ------
    InputError
        If the model has no attention layer.
    """
    if not has_attention(model):
        raise InputError("model has no attention layer")

    def outputs():
        scores = _layer(model, L.ATTENTION).output
        # The builder calls attention with return_attention_scores=True, so
        # the layer output is (attended values, scores).
        if not isinstance(scores, (list, tuple)) or len(scores) != 2:
            raise InputError("model's attention layer does not expose its scores")
        return [_layer(model, L.POOL).output, scores[1]]

    probe = _probe(model, "pool_attention", outputs)
    features, attention = _run(probe, x, batch_size)
    return features, attention


def _layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        raise InputError(f"model has no layer named {name!r}") from None


def _probe(model, kind, outputs_fn) -> keras.Model:
    cache = _PROBES.setdefault(model, {})
    if kind not in cache:
        cache[kind] = keras.Model(model.input, outputs_fn(), name=f"{model.name}_{kind}_probe")
    return cache[kind]


def _run(probe, x, batch_size):
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != 4:
        raise InputError(f"expected one-hot sequences of shape (N, L, 4), got {x.shape}")
    if len(x) == 0:
        raise InputError("no sequences given (N = 0)")
    expected = probe.inputs[0].shape[1]
    if expected is not None and x.shape[1] != expected:
        raise InputError(f"model expects sequences of length {expected}, got {x.shape[1]}")
    outputs = predict_in_batches(probe, x.astype("float32", copy=False), batch_size)
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def predict_in_batches(model: keras.Model, x: np.ndarray, batch_size: int = 256):
    """Outputs of ``model`` for ``x`` (N, L, 4) float32, computed in fixed-size chunks.

    ``predict_on_batch`` reuses one compiled predict step; ``model.predict``
    builds a tf.data pipeline per call, which dominates (~5x slower) when it is
    called batch by batch or on a few hundred validation sequences.

    Returns
    -------
    array (N, ...) for a single-output model, or a list of arrays, one per output.
    No input validation: callers check shapes.
    """
    chunks = [model.predict_on_batch(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    if not chunks:
        shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
        empty = [np.zeros((0,) + tuple(s[1:]), np.float32) for s in shapes]
        return empty if isinstance(model.output_shape, list) else empty[0]
    if isinstance(chunks[0], (list, tuple)):
        return [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
    return np.concatenate(chunks)
