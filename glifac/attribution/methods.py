"""Attribution maps of a Keras model for one output: gradient methods and in-silico mutagenesis.

Every method returns an ``(N, L, 4)`` map (channels A, C, G, T, like the
input) explaining the **logit** of one output: log(p / (1 - p)) of a sigmoid
task, log p of a softmax class (gradients of probabilities vanish where the
model is confident). Forward and backward passes are batched; memory is
bounded by ``batch_size``, not by N.

=========================  ====================================================================
method                     map
=========================  ====================================================================
``saliency``               the input gradient g = dF/dx
``grad_x_input``           g * x (non-zero at the observed base)
``smoothgrad``             the mean gradient over ``n_samples`` copies of x with Gaussian noise
                           (sd ``noise``), Smilkov et al. 2017
``integrated_gradients``   (x - b) * mean of g over ``steps`` points on the line from the baseline
                           b to x (midpoint rule); baselines ``zeros``, ``uniform`` (0.25 each)
                           or ``shuffle`` (the mean over ``n_samples`` dinucleotide shuffles)
``mutagenesis``            F(x with base a at position l) - F(x) for the three other bases, 0 at
                           the observed base: every single-base substitution
``lrp``                    attention-aware LRP: gradient x input through a backward pass in which
                           every attention softmax and every LayerNorm's scale are held constant
                           (the conservative propagation of Ali et al. 2022, AttnLRP's attention
                           rule); with them constant the CAN is piecewise linear in x, and the
                           identity/LRP-0 relevance of each base equals gradient x input
``attention_rollout``      a CAN's attention rollout (Abnar & Zuidema 2020) for its one attention
                           layer: 0.5 A + 0.5 I averaged over heads, relevance of a pooled position
                           = mean over queries, spread over its pooling window and put at the
                           observed base (task-independent; an affine function of the attention
                           each position receives, so it ranks positions as AttnGen's ``attention``
                           importance does)
=========================  ====================================================================

``correction=True`` (Majdandzic et al. 2023) removes each position's mean
over the four bases from the gradient before it is used, on every gradient
method. :func:`completeness_gap` checks integrated gradients' defining
property, sum of the map = F(x) - F(baseline).

``lrp`` takes ``epsilon``: LRP's epsilon rule in every Dense layer (0, the default, is LRP-0,
whose relevances are conserved exactly; ``glifac attribute --lrp-epsilon``).
"""
from __future__ import annotations

import numpy as np

from simulate.errors import InputError

HEADS = ("sigmoid", "softmax")
BASELINES = ("zeros", "uniform", "shuffle")
_EPS = 1e-7


def _tf():
    import tensorflow as tf

    return tf


# (model, task, head, attention held constant) -> compiled logit; reused across methods and batches so each
# input shape is traced once per model and task, not once per call
_LOGITS: dict = {}
_STATE = {"constant_attention": False, "epsilon": 0.0}


def logit_function(model, task: int, head: str = "sigmoid"):
    """``F(x) -> (B,)``: the logit of output ``task`` (see the module docstring), compiled and cached."""
    key = (id(model), task, head, _STATE["constant_attention"], _STATE["epsilon"])
    cached = _LOGITS.get(key)
    if cached is not None and cached[0] is model:
        return cached[1]
    if len(_LOGITS) > 256:  # one model's tasks at a time in practice
        _LOGITS.clear()
        _GRADIENT_FUNCTIONS.clear()
    function = _logit_function(model, task, head)
    _LOGITS[key] = (model, function)
    return function


def _logit_function(model, task: int, head: str):
    tf = _tf()
    if head not in HEADS:
        raise InputError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
    n_outputs = int(model.output_shape[-1])
    if not 0 <= task < n_outputs:
        raise InputError(f"task {task} is out of range: the model has {n_outputs} outputs")

    def logit(x):
        p = tf.clip_by_value(model(x, training=False)[:, task], _EPS, 1 - _EPS)
        return tf.math.log(p) - (tf.math.log1p(-p) if head == "sigmoid" else 0.0)

    # compiled once per input shape (as predict_on_batch is); eager calls cost ~1.5x
    return tf.function(logit, reduce_retracing=True)


_GRADIENT_FUNCTIONS: dict = {}


def _gradients(logit, x: np.ndarray, correction: bool) -> np.ndarray:
    tf = _tf()
    if logit not in _GRADIENT_FUNCTIONS:
        def gradient(xt):
            with tf.GradientTape() as tape:
                tape.watch(xt)
                value = tf.reduce_sum(logit(xt))  # a sum: each sequence's gradient is its own
            return tape.gradient(value, xt)

        _GRADIENT_FUNCTIONS[logit] = tf.function(gradient, reduce_retracing=True)
    g = _GRADIENT_FUNCTIONS[logit](tf.constant(x, tf.float32)).numpy().astype(np.float64)
    return g - g.mean(axis=2, keepdims=True) if correction else g


def _batched(x, batch_size, function):
    return np.concatenate([function(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def saliency(model, x, task=0, *, head="sigmoid", batch_size=256, correction=False):
    """The input gradient of the logit (N, L, 4)."""
    logit = logit_function(model, task, head)
    return _batched(_check(x), batch_size, lambda xb: _gradients(logit, xb, correction))


def grad_x_input(model, x, task=0, *, head="sigmoid", batch_size=256, correction=False):
    """Gradient times input (N, L, 4)."""
    x = _check(x)
    return saliency(model, x, task, head=head, batch_size=batch_size, correction=correction) * x


def smoothgrad(model, x, task=0, *, head="sigmoid", batch_size=256, correction=False, n_samples=25, noise=0.15,
               random_state=0):
    """The mean input gradient over ``n_samples`` noisy copies (N, L, 4)."""
    x = _check(x)
    logit = logit_function(model, task, head)
    rng = np.random.default_rng(random_state)
    per_batch = max(1, batch_size // n_samples)

    def one(xb):
        noisy = np.repeat(xb, n_samples, axis=0) + rng.normal(0, noise, size=(len(xb) * n_samples,) + xb.shape[1:])
        g = _gradients(logit, noisy.astype(np.float32), correction)
        return g.reshape(len(xb), n_samples, *xb.shape[1:]).mean(axis=1)

    return _batched(x, per_batch, one)


def baseline_for(x, baseline: str, n_samples: int = 10, random_state=0) -> np.ndarray:
    """Baselines ``(N, S, L, 4)`` for integrated gradients (S = 1 except for ``shuffle``)."""
    x = _check(x)
    if baseline == "zeros":
        return np.zeros((len(x), 1) + x.shape[1:], np.float32)
    if baseline == "uniform":
        return np.full((len(x), 1) + x.shape[1:], 0.25, np.float32)
    if baseline == "shuffle":
        from analysis import dinucleotide_shuffle

        return dinucleotide_shuffle(x.astype(np.uint8), n=n_samples, random_state=random_state).astype(np.float32)
    raise InputError(f"unknown baseline {baseline!r}; choose from {', '.join(BASELINES)}")


def integrated_gradients(model, x, task=0, *, head="sigmoid", batch_size=256, correction=False, steps=50,
                         baseline="zeros", n_samples=10, random_state=0):
    """Integrated gradients (N, L, 4), averaged over the baselines of ``baseline`` (midpoint rule)."""
    x = _check(x)
    if steps < 1:
        raise InputError(f"steps must be >= 1, got {steps}")
    logit = logit_function(model, task, head)
    bases = baseline_for(x, baseline, n_samples, random_state)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    per_batch = max(1, batch_size // steps)
    out = np.zeros(x.shape, np.float64)
    for s in range(bases.shape[1]):
        def one(idx):
            xb, bb = x[idx], bases[idx, s]
            path = bb[:, None] + alphas[None, :, None, None] * (xb - bb)[:, None]
            g = _gradients(logit, path.reshape(-1, *x.shape[1:]), correction)
            return (xb - bb) * g.reshape(len(xb), steps, *x.shape[1:]).mean(axis=1)

        out += _batched(np.arange(len(x)), per_batch, one)
    return out / bases.shape[1]


def completeness_gap(model, x, attributions, task=0, *, head="sigmoid", baseline="zeros", n_samples=10,
                     random_state=0, batch_size=256) -> np.ndarray:
    """|sum of the map - (F(x) - F(baseline))| / |F(x) - F(baseline)| per sequence (N,)."""
    x = _check(x)
    logit = logit_function(model, task, head)
    bases = baseline_for(x, baseline, n_samples, random_state)

    def f(values):
        return _batched(values.astype(np.float32), batch_size, lambda b: logit(b).numpy().astype(np.float64))

    expected = f(x) - np.mean([f(bases[:, s]) for s in range(bases.shape[1])], axis=0)
    total = np.asarray(attributions, np.float64).reshape(len(x), -1).sum(axis=1)
    return np.abs(total - expected) / np.maximum(np.abs(expected), _EPS)


def mutagenesis(model, x, task=0, *, head="sigmoid", batch_size=1024):
    """In-silico mutagenesis (N, L, 4): the logit change of every single-base substitution.

    The 3L mutants of each sequence are built by indexing (no copy per mutant in
    Python) and predicted in batches of ``batch_size``.
    """
    x = _check(x)
    logit = logit_function(model, task, head)
    n, length, _ = x.shape
    observed = x.argmax(axis=2)
    positions = np.repeat(np.arange(length), 3)
    out = np.zeros(x.shape, np.float64)
    per_batch = max(1, -(-batch_size // (3 * length)))  # at least one batch's worth of mutants per call
    for start in range(0, n, per_batch):
        xb = x[start:start + per_batch]
        ob = observed[start:start + per_batch]
        # the three other bases at each position: (observed + 1, 2, 3) mod 4
        alt = (ob[:, positions] + np.tile([1, 2, 3], length)[None, :]) % 4
        mutants = np.repeat(xb[:, None], 3 * length, axis=1)
        rows = np.arange(3 * length)
        mutants[:, rows, positions, :] = 0
        mutants[np.arange(len(xb))[:, None], rows[None, :], positions[None, :], alt] = 1
        reference = logit(xb.astype(np.float32)).numpy().astype(np.float64)
        flat = mutants.reshape(-1, length, 4).astype(np.float32)
        values = np.concatenate([logit(flat[i:i + batch_size]).numpy() for i in range(0, len(flat), batch_size)])
        values = values.astype(np.float64).reshape(len(xb), 3 * length) - reference[:, None]
        out[np.arange(len(xb))[:, None] + start, positions[None, :], alt] = values
    return out


def _constant_attention_and_norms(model, epsilon: float = 0.0):
    """Context manager: attention softmaxes and LayerNorm scales pass no gradient (conservative LRP); with
    ``epsilon`` > 0 every Dense layer also applies LRP's epsilon rule."""
    import contextlib

    import keras

    tf = _tf()

    @contextlib.contextmanager
    def patched():
        saved = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.MultiHeadAttention):
                _check_attention_internals(layer)
                softmax, attend = layer._masked_softmax, layer._compute_attention
                layer._masked_softmax = lambda scores, mask=None, _f=softmax: tf.stop_gradient(_f(scores, mask))
                # Keras takes a fused dot-product kernel (no _masked_softmax) unless scores are returned
                layer._compute_attention = _through_softmax(attend)
                saved += [(layer, "_masked_softmax"), (layer, "_compute_attention")]
            elif isinstance(layer, keras.layers.LayerNormalization):
                layer.call = _constant_scale_layer_norm(layer)
                saved.append((layer, "call"))
            elif epsilon > 0 and type(layer) is keras.layers.Dense:
                layer.call = _epsilon_dense(layer, epsilon)
                saved.append((layer, "call"))
        _STATE["constant_attention"] = True
        try:
            yield
        finally:
            _STATE["constant_attention"] = False
            for layer, name in saved:
                delattr(layer, name)  # back to the class's method

    return patched()


def _check_attention_internals(layer) -> None:
    """LRP replaces two private methods of Keras's MultiHeadAttention; say so plainly if a Keras lacks them."""
    import keras

    missing = [name for name in ("_masked_softmax", "_compute_attention") if not callable(getattr(layer, name, None))]
    if missing:
        raise InputError(f"lrp needs keras.layers.MultiHeadAttention.{missing[0]}, which Keras {keras.__version__} "
                         f"does not have; use the other methods or Keras 3.3-3.x as tested")


def _through_softmax(attend):
    def compute(query, key, value, attention_mask=None, training=None, return_attention_scores=False, **kwargs):
        output, scores = attend(query, key, value, attention_mask=attention_mask, training=training,
                                return_attention_scores=True, **kwargs)
        return output, (scores if return_attention_scores else None)

    return compute


def _epsilon_dense(layer, epsilon: float):
    """Dense with LRP's epsilon rule in the backward pass: the forward value is unchanged, the gradient
    through the pre-activation z is scaled by z / (z + epsilon * sign(z)), so gradient x input gives
    the epsilon-rule relevances (the stabiliser absorbs part of the relevance)."""
    tf = _tf()

    def call(inputs, *args, **kwargs):
        z = tf.matmul(inputs, layer.kernel)
        if layer.use_bias:
            z = z + layer.bias
        sign = tf.where(z >= 0, 1.0, -1.0)
        scale = tf.stop_gradient(z / (z + epsilon * sign))
        z = z * scale + tf.stop_gradient(z * (1.0 - scale))
        return layer.activation(z) if layer.activation is not None else z

    return call


def _constant_scale_layer_norm(layer):
    tf = _tf()
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]

    def call(inputs, *args, **kwargs):
        mean, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
        out = (inputs - mean) / tf.stop_gradient(tf.sqrt(variance + layer.epsilon))
        if layer.scale:
            out = out * layer.gamma
        if layer.center:
            out = out + layer.beta
        return out

    return call


def lrp(model, x, task=0, *, head="sigmoid", batch_size=256, correction=False, epsilon=0.0):
    """Attention-aware LRP (conservative propagation): gradient x input with attention and norms constant,
    and the epsilon rule in the Dense layers when ``epsilon`` > 0."""
    x = _check(x)
    if not epsilon >= 0:
        raise InputError(f"epsilon must be >= 0, got {epsilon}")
    with _constant_attention_and_norms(model, epsilon):
        _STATE["epsilon"] = epsilon
        try:
            return grad_x_input(model, x, task, head=head, batch_size=batch_size, correction=correction)
        finally:
            _STATE["epsilon"] = 0.0


def attention_rollout(model, x, task=0, *, head="sigmoid", batch_size=256):
    """Attention rollout of a CAN's attention layer (N, L, 4), at the observed bases (task-independent).

    The layers are found as for interpreting any model (:mod:`architectures.discover`); each pooled
    position's relevance is spread over its pooling window (positions past the last window take
    the last window's value).
    """
    from architectures.discover import CanProbe, find_can_layers

    x = _check(x)
    layers = find_can_layers(model)
    _, attention = CanProbe(model, layers).features_and_attention(x, batch_size)
    n_pooled = attention.shape[-1]
    received = attention.astype(np.float64).mean(axis=(1, 2))  # mean over heads and queries: (N, L')
    rollout = 0.5 * received + 0.5 / n_pooled  # the mean over queries of 0.5 A + 0.5 I
    pool = model.get_layer(layers.feature).pool_size
    window = int(pool[0] if isinstance(pool, (list, tuple)) else pool)
    spread = np.repeat(rollout, window, axis=1)[:, : x.shape[1]]
    if spread.shape[1] < x.shape[1]:
        spread = np.concatenate([spread, np.repeat(spread[:, -1:], x.shape[1] - spread.shape[1], axis=1)], axis=1)
    return spread[:, :, None] * x


# method name -> function(model, x, task, **options)
METHODS = {
    "saliency": saliency,
    "grad_x_input": grad_x_input,
    "smoothgrad": smoothgrad,
    "integrated_gradients": integrated_gradients,
    "mutagenesis": mutagenesis,
    "lrp": lrp,
    "attention_rollout": attention_rollout,
}


def _check(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[2] != 4:
        raise InputError(f"x must be one-hot sequences (N, L, 4), channels A, C, G, T; got {x.shape}")
    if len(x) == 0:
        raise InputError("x holds no sequences (N = 0)")
    return x
