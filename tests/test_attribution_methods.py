"""Attribution methods with known answers: a linear model, completeness, mutagenesis by hand, a planted motif."""
from __future__ import annotations

import keras
import numpy as np
import pytest

import simulate
from _helpers import random_one_hot
from glifac.attribution.methods import (completeness_gap, grad_x_input, integrated_gradients, mutagenesis, saliency,
                                        smoothgrad)
from simulate.errors import InputError

L = 30


def linear_model(seed=0):
    """Flatten -> Dense(1, sigmoid): its logit is w . x + b, so every gradient method is exact."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((L, 4))
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inp)))
    w = np.random.default_rng(seed).normal(0, 0.3, size=(L * 4, 1)).astype(np.float32)
    model.layers[-1].set_weights([w, np.array([0.2], np.float32)])
    return model, w.reshape(L, 4).astype(np.float64)


def test_linear_model_gradients_are_exact():
    model, w = linear_model()
    x = random_one_hot(6, L, seed=1)
    np.testing.assert_allclose(saliency(model, x), np.broadcast_to(w, x.shape), atol=1e-5)
    gxi = grad_x_input(model, x)
    np.testing.assert_allclose(gxi.sum(axis=(1, 2)), (x * w).sum(axis=(1, 2)), atol=1e-4)  # logit - bias
    # integrated gradients of a linear function are gradient x (x - baseline), for any baseline
    for baseline, b in (("zeros", 0.0), ("uniform", 0.25)):
        ig = integrated_gradients(model, x, steps=4, baseline=baseline)
        np.testing.assert_allclose(ig, w * (x - b), atol=1e-4)
    corrected = saliency(model, x, correction=True)
    np.testing.assert_allclose(corrected, np.broadcast_to(w - w.mean(axis=1, keepdims=True), x.shape), atol=1e-5)
    np.testing.assert_allclose(smoothgrad(model, x, n_samples=3), np.broadcast_to(w, x.shape), atol=1e-4)


def test_mutagenesis_of_a_linear_model_by_hand():
    model, w = linear_model(2)
    x = random_one_hot(3, L, seed=3)
    ism = mutagenesis(model, x, batch_size=50)
    observed = x.argmax(axis=2)
    expected = w[None] - np.take_along_axis(np.broadcast_to(w, x.shape), observed[..., None], axis=2)
    np.testing.assert_allclose(ism, expected, atol=1e-4)  # logit change of each substitution
    assert np.all(ism[x.astype(bool)] == 0)


def small_cnn(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, padding="same", activation="relu")(inp)
    h = keras.layers.MaxPooling1D(3)(h)
    out = keras.layers.Dense(2, activation="sigmoid")(keras.layers.Flatten()(h))
    return keras.Model(inp, out)


@pytest.mark.parametrize("baseline", ["zeros", "uniform", "shuffle"])
def test_integrated_gradients_completeness_on_a_cnn(baseline):
    model = small_cnn()
    x = random_one_hot(5, L, seed=4)
    ig = integrated_gradients(model, x, task=1, steps=200, baseline=baseline, n_samples=3)
    gap = completeness_gap(model, x, ig, task=1, baseline=baseline, n_samples=3)
    assert np.all(gap < 0.05), gap


def test_attribution_peaks_inside_the_planted_motif():
    motif = "CACGTGAC"
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(1, 8, padding="valid", activation="relu")(inp)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalMaxPooling1D()(h))
    model = keras.Model(inp, out)
    kernel = (3.0 * simulate.encode(motif).astype(np.float32) - 1.0)[:, :, None]
    model.layers[1].set_weights([kernel, np.array([-12.0], np.float32)])
    model.layers[-1].set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    x = random_one_hot(20, L, seed=5)
    starts = np.random.default_rng(6).integers(0, L - 8, size=20)
    for i, s in enumerate(starts):
        x[i, s:s + 8] = simulate.encode(motif)
    for method in (grad_x_input, lambda m, v: mutagenesis(m, v)):
        scores = np.abs(method(model, x)).sum(axis=2)
        peaks = scores.argmax(axis=1)
        assert np.all((peaks >= starts) & (peaks < starts + 8))


def test_bad_input():
    model, _ = linear_model()
    with pytest.raises(InputError, match="out of range"):
        saliency(model, random_one_hot(2, L), task=3)
    with pytest.raises(InputError, match="unknown baseline"):
        integrated_gradients(model, random_one_hot(2, L), baseline="gauss")
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        saliency(model, np.zeros((2, L)))


def attention_only_model():
    """Linear conv -> attention -> linear readout, no biases: with the softmax held constant the logit is
    homogeneous of degree 1 in x, so conservative LRP's relevances sum exactly to the logit."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(6, 5, padding="same", use_bias=False)(inp)
    h = keras.layers.MaxPooling1D(3, name="pool")(h)
    h = keras.layers.MultiHeadAttention(2, 4, use_bias=False, name="attention")(h, h)
    out = keras.layers.Dense(1, activation="sigmoid", use_bias=False)(keras.layers.Flatten()(h))
    return keras.Model(inp, out)


def test_conservative_lrp_sums_to_the_logit():
    from glifac.attribution.methods import logit_function, lrp

    model = attention_only_model()
    x = random_one_hot(6, L, seed=7)
    logit = logit_function(model, 0)(x).numpy()
    relevance = lrp(model, x).sum(axis=(1, 2))
    np.testing.assert_allclose(relevance, logit, rtol=1e-3, atol=1e-4)
    plain = grad_x_input(model, x).sum(axis=(1, 2))
    assert np.max(np.abs(plain - logit)) > 10 * np.max(np.abs(relevance - logit))  # the softmax's gradient breaks it
    np.testing.assert_allclose(grad_x_input(model, x).sum(axis=(1, 2)), plain, rtol=1e-6)  # layers restored


def test_lrp_names_a_missing_keras_attention_internal():
    from glifac.attribution.methods import lrp

    model = attention_only_model()
    model.get_layer("attention")._masked_softmax = None  # as a Keras without this private method would be
    with pytest.raises(InputError, match="lrp needs keras.layers.MultiHeadAttention._masked_softmax"):
        lrp(model, random_one_hot(2, L, seed=1))


def test_lrp_without_attention_is_gradient_x_input():
    from glifac.attribution.methods import lrp

    model = small_cnn()
    x = random_one_hot(4, L, seed=8)
    np.testing.assert_allclose(lrp(model, x, task=1), grad_x_input(model, x, task=1), atol=1e-6)


def test_attention_rollout_is_constant_over_pooling_windows():
    from glifac.attribution.methods import attention_rollout

    model = attention_only_model()
    x = random_one_hot(3, L, seed=9)
    scores = attention_rollout(model, x).sum(axis=2)
    windows = scores.reshape(3, L // 3, 3)
    np.testing.assert_allclose(windows, windows[:, :, :1].repeat(3, axis=2), rtol=1e-6)
    # mean over queries of 0.5 A + 0.5 I sums to 1 over the pooled positions
    np.testing.assert_allclose(windows[:, :, 0].sum(axis=1), 1.0, atol=1e-5)


def test_lrp_epsilon_rule_absorbs_relevance():
    from glifac.attribution.methods import logit_function, lrp

    model = attention_only_model()
    x = random_one_hot(6, L, seed=10)
    logit = logit_function(model, 0)(x).numpy()
    exact = lrp(model, x)
    stabilised = lrp(model, x, epsilon=1.0)
    # the epsilon rule scales the relevance reaching the dense layer by z / (z + eps sign z): less than the logit
    ratio = stabilised.sum(axis=(1, 2)) / exact.sum(axis=(1, 2))
    np.testing.assert_allclose(ratio, np.abs(logit) / (np.abs(logit) + 1.0), rtol=1e-3)
    np.testing.assert_allclose(lrp(model, x), exact, atol=1e-6)  # epsilon 0 again: unchanged


def test_mutagenesis_of_a_one_filter_model_by_hand():
    keras.utils.set_random_seed(4)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(1, 5, padding="valid")(inp)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalMaxPooling1D()(h)))
    (kernel, bias), (w, b) = model.layers[1].get_weights(), model.layers[-1].get_weights()
    x = random_one_hot(2, L, seed=11)

    def logit(seq):  # the forward pass by hand: max over windows of the filter score, then the readout
        scores = [np.sum(seq[p:p + 5] * kernel[:, :, 0]) + bias[0] for p in range(L - 4)]
        return max(scores) * w[0, 0] + b[0]

    ism = mutagenesis(model, x)
    for n in range(2):
        for pos in (0, 7, L - 1):
            for base in range(4):
                mutant = x[n].copy()
                mutant[pos] = np.eye(4)[base]
                assert ism[n, pos, base] == pytest.approx(logit(mutant) - logit(x[n]), abs=1e-4)
