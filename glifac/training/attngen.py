"""AttnGen's attention-guided masking objective (Shabani Nia & Karkehabadi 2026) as a training mode.

Each training step:

1. scores every position of every sequence with an importance source
   (:data:`IMPORTANCE_SOURCES`), without gradient;
2. masks the k = floor(alpha * L) lowest-scoring positions per sequence, replacing
   them with the padding token (for one-hot input, an all-zero row); ties are
   broken uniformly at random, so equal scores never favour the left end;
3. minimises ``CE(f(x), y) + lambda * KL(f(x) || f(x_masked))``, the gradient flowing
   through both forward passes. The KL is the sum over tasks of the Bernoulli KL
   for a sigmoid head, the categorical KL for a softmax head, averaged over the batch.

With alpha = 0 the objective is plain training (no second pass; :func:`glifac.training.train`
does not wrap the model). With lambda = 0 the paper's "attention mask without KL"
ablation would literally be plain training, since the masked copy would not enter
the loss; here it means what an ablation can measure: the masked copies train with
the labels, ``CE(f(x), y) + CE(f(x_masked), y)`` (masking as augmentation, no consistency term).

Importance sources
------------------
``embedding``
    the paper's: s_i = mean over features of the embedding at position i, A =
    softmax(s) over positions (monotone in s, so the masked set is the same). The
    embedding of a one-hot base is a fixed row, so s_i depends on the base alone:
    every A in a sequence scores the same, and masking the k lowest is masking
    bases of the lowest-scoring letter, at random among them. The embedding is
    the ``embedding`` layer where the model has one (AttnGen-CNN), else the
    first convolution's activations (a CAN's learned, contextual embedding).
``attention``
    the attention each pooled position receives in a CAN (mean over heads and
    query positions), spread back over its pooling window (positions past the
    last window take the last window's value). Needs an attention layer.
``saliency``
    |gradient x input| of the loss, summed over the four channels (as in
    Saliency-Guided Training); no gradient flows through the mask choice.
``random``
    uniform scores: k random positions (the "random mask + KL" ablation).

Imported after TensorFlow is loaded (by :mod:`glifac.training.fit` and the evaluation code).
"""
from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from architectures import layers as L
from architectures.access import has_attention
from simulate.errors import InputError

_EPS = 1e-7  # clip of probabilities inside the KL, as Keras clips its cross-entropies


def mask_count(mask_fraction: float, length: int) -> int:
    """k = floor(alpha * L), robust to floating-point products just below an integer (0.29 * 100)."""
    return int(math.floor(mask_fraction * length + 1e-9))


def lowest_k_mask(scores, k: int, seed=None):
    """Mask of the ``k`` lowest-scoring positions of each sequence, ties broken uniformly at random.

    Parameters
    ----------
    scores : tensor, shape (B, L)
    k : int, 0 <= k <= L
    seed : keras.random.SeedGenerator or int, optional

    Returns
    -------
    tensor, float32, shape (B, L)
        1.0 at exactly ``k`` positions per row: the lowest scores; among equal
        scores the chosen ones are a uniform random subset.
    """
    scores = tf.convert_to_tensor(scores, tf.float32)
    length = scores.shape[1] if scores.shape[1] is not None else tf.shape(scores)[1]
    if k == 0:
        return tf.zeros_like(scores)
    # a random permutation, then a stable sort by score: equal scores keep the random order
    noise = keras.random.uniform(tf.shape(scores), seed=seed)
    permutation = tf.argsort(noise, axis=1)
    permuted = tf.gather(scores, permutation, batch_dims=1)
    order = tf.argsort(permuted, axis=1, stable=True)
    chosen = tf.gather(permutation, order[:, :k], batch_dims=1)
    return tf.reduce_sum(tf.one_hot(chosen, length, dtype=tf.float32), axis=1)


def apply_mask(x, mask):
    """``x`` (B, L, 4) with masked positions replaced by the padding token, an all-zero row."""
    return x * (1.0 - mask)[..., None]


def bernoulli_kl(p, q):
    """Mean over the batch of sum over tasks of KL(Bernoulli(p) || Bernoulli(q)); p, q (B, T)."""
    p = tf.clip_by_value(p, _EPS, 1 - _EPS)
    q = tf.clip_by_value(q, _EPS, 1 - _EPS)
    per_task = p * tf.math.log(p / q) + (1 - p) * tf.math.log((1 - p) / (1 - q))
    return tf.reduce_mean(tf.reduce_sum(per_task, axis=-1))


def categorical_kl(p, q):
    """Mean over the batch of KL(p || q) between class distributions; p, q (B, C)."""
    p = tf.clip_by_value(p, _EPS, 1.0)
    q = tf.clip_by_value(q, _EPS, 1.0)
    return tf.reduce_mean(tf.reduce_sum(p * tf.math.log(p / q), axis=-1))


# model head -> the divergence between its outputs
KL_DIVERGENCES = {"sigmoid": bernoulli_kl, "softmax": categorical_kl}
LOSSES = {"sigmoid": keras.losses.BinaryCrossentropy, "softmax": keras.losses.CategoricalCrossentropy}


# ------------------------------------------------------------- importance sources
def _probe(model, layer_name):
    return keras.Model(model.input, model.get_layer(layer_name).output, name=f"{model.name}_{layer_name}_importance")


def embedding_layer_name(model) -> str:
    """The layer read as the model's embedding: ``embedding`` where there is one, else the first
    convolution's activations."""
    return L.EMBEDDING if any(layer.name == L.EMBEDDING for layer in model.layers) else L.CONV_ACTIVATION


def _embedding_importance(model, loss):
    probe = _probe(model, embedding_layer_name(model))

    def importance(x, y):
        return tf.reduce_mean(probe(x, training=False), axis=-1)

    return importance


def _attention_importance(model, loss):
    if not has_attention(model):
        raise InputError("--importance attention needs a model with an attention layer "
                         f"(model {model.name} has none); use embedding, saliency or random")
    output = model.get_layer(L.ATTENTION).output
    if not isinstance(output, (list, tuple)) or len(output) != 2:
        raise InputError("the model's attention layer does not expose its scores")
    probe = keras.Model(model.input, output[1], name=f"{model.name}_attention_importance")
    length = int(model.input.shape[1])
    pool = model.get_layer(L.POOL).pool_size
    window = int(pool[0] if isinstance(pool, (list, tuple)) else pool)

    def importance(x, y):
        received = tf.reduce_mean(probe(x, training=False), axis=(1, 2))  # (B, L')
        spread = tf.repeat(received, window, axis=1)
        missing = length - int(spread.shape[1])
        if missing:
            spread = tf.concat([spread, tf.repeat(spread[:, -1:], missing, axis=1)], axis=1)
        return spread

    return importance


def _saliency_importance(model, loss):
    def importance(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(y, model(x, training=False))
        gradient = tape.gradient(value, x)
        return tf.abs(tf.reduce_sum(gradient * x, axis=-1))

    return importance


def _random_importance(model, loss, seed=None):
    """Uniform scores; ``seed`` an int or a keras.random.SeedGenerator (the trainer passes one it
    tracks, so the draws continue across --resume)."""
    generator = seed if isinstance(seed, keras.random.SeedGenerator) else keras.random.SeedGenerator(seed)

    def importance(x, y):
        return keras.random.uniform(tf.shape(x)[:2], seed=generator)

    return importance


# importance name -> factory(model, loss) -> importance(x, y) -> (B, L) scores
IMPORTANCE_SOURCES = {
    "embedding": _embedding_importance,
    "attention": _attention_importance,
    "saliency": _saliency_importance,
    "random": _random_importance,
}


def importance_function(model, source: str, head: str, seed=None):
    """``importance(x, y) -> (B, L)`` for ``source`` (see the module docstring); validates the model.
    ``seed`` (an int or a keras.random.SeedGenerator) seeds the ``random`` source."""
    if source not in IMPORTANCE_SOURCES:
        raise InputError(f"unknown importance {source!r}; choose from {', '.join(IMPORTANCE_SOURCES)}")
    if source == "random":
        return _random_importance(model, None, seed)
    return IMPORTANCE_SOURCES[source](model, LOSSES[head]())


def position_importance(model, x, y, source: str, head: str, batch_size: int = 500, seed: int = 0) -> np.ndarray:
    """Importance of every position of ``x`` by ``source``, in batches.

    Parameters
    ----------
    model : keras.Model
    x : numpy.ndarray, shape (N, L, 4)
        One-hot sequences.
    y : numpy.ndarray, shape (N, T)
        Labels (used by ``saliency`` only).
    source : str
        One of :data:`IMPORTANCE_SOURCES`.
    head : {"sigmoid", "softmax"}
    seed : int
        Seeds the ``random`` source.

    Returns
    -------
    numpy.ndarray, float32, shape (N, L)
    """
    function = importance_function(model, source, head, seed=seed)
    parts = [function(tf.constant(x[i:i + batch_size], tf.float32), tf.constant(y[i:i + batch_size], tf.float32))
             for i in range(0, len(x), batch_size)]
    return np.concatenate([np.asarray(p) for p in parts]).astype(np.float32)


# ------------------------------------------------------------- the trainer
class AttnGenTrainer(keras.Model):
    """Wraps a built model and trains it with the AttnGen objective (the module docstring).

    Calling it calls the wrapped model, so validation, prediction and the
    weights are the wrapped model's; save the wrapped model, not this wrapper.

    Parameters
    ----------
    model : keras.Model
    training : glifac.training.TrainingConfig
        ``mask_fraction``, ``kl_weight``, ``importance`` and ``seed`` are used.
    head : {"sigmoid", "softmax"}
    """

    def __init__(self, model, training, head: str):
        super().__init__(name=f"{model.name}_attngen")
        self.wrapped = model
        self.k = mask_count(training.mask_fraction, int(model.input.shape[1]))
        self.kl_weight = float(training.kl_weight)
        self.head = head
        self.divergence = KL_DIVERGENCES[head]
        # generators are attributes, so they are tracked variables: checkpointed and restored on --resume
        self.tie_seed = keras.random.SeedGenerator(training.seed)
        self.random_seed = keras.random.SeedGenerator(training.seed + 1)
        self.importance = importance_function(model, training.importance, head, seed=self.random_seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x, training=False):
        return self.wrapped(x, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def masked(self, x, y):
        """``x`` with its k lowest-importance positions zeroed (no gradient through the choice)."""
        scores = tf.stop_gradient(self.importance(x, y))
        return apply_mask(x, lowest_k_mask(scores, self.k, self.tie_seed))

    def train_step(self, data):
        x, y = data
        x = tf.cast(x, tf.float32)
        y = tf.cast(y, tf.float32)
        x_masked = self.masked(x, y)
        with tf.GradientTape() as tape:
            p = self.wrapped(x, training=True)
            q = self.wrapped(x_masked, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=p)
            if self.kl_weight > 0:
                loss = loss + self.kl_weight * self.divergence(p, q)
            else:  # the "mask without KL" ablation: the masked copy trains with the labels
                loss = loss + self.compute_loss(x=x_masked, y=y, y_pred=q)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}
