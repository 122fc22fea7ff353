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
