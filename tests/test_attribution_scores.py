"""Scores of attribution maps with analytically known answers (analysis.attribution)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from analysis.attribution import (continuous_jaccard, entropy, gini, gradient_correction, ground_truth_scores,
                                  position_scores)
from simulate.errors import InputError


def test_gradient_correction_removes_the_simplex_normal():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(5, 30, 4))
    corrected = gradient_correction(g)
    np.testing.assert_allclose(corrected.sum(axis=2), 0.0, atol=1e-12)
    shifted = g + rng.normal(size=(5, 30, 1))  # any per-position constant is invisible to one-hot inputs
    np.testing.assert_allclose(gradient_correction(shifted), corrected, atol=1e-12)


def test_position_scores_are_l1_norms():
    maps = np.zeros((1, 3, 4))
    maps[0, 0] = [1, -2, 0, 0]
    maps[0, 2] = [0, 0, 0, -0.5]
    np.testing.assert_allclose(position_scores(maps), [[3.0, 0.0, 0.5]])


def test_ground_truth_scores_match_scikit_learn_with_ties():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 5, size=(40, 25)).astype(float)  # many ties
    mask = rng.random((40, 25)) < 0.3
    mask[:, 0] = True
    mask[:, 1] = False
    result = ground_truth_scores(scores, mask)
    for i in range(40):
        assert result["auroc"][i] == pytest.approx(roc_auc_score(mask[i], scores[i]))
        assert result["aupr"][i] == pytest.approx(average_precision_score(mask[i], scores[i]))


def test_ground_truth_scores_perfect_random_and_undefined():
    mask = np.zeros((3, 10), bool)
    mask[:, 2:5] = True
    perfect = ground_truth_scores(mask.astype(float), mask)
    np.testing.assert_allclose(perfect["auroc"], 1.0)
    np.testing.assert_allclose(perfect["aupr"], 1.0)
    mask[2] = False
    assert np.isnan(ground_truth_scores(np.ones((3, 10)), mask)["aupr"][2])
    # a random map: AUROC about one half; AP near the share of instance positions (above it by the
    # small-sample bias of AP with about 20 positives per sequence), far from 1
    rng = np.random.default_rng(2)
    big = rng.random((2000, 200)) < 0.1
    random = ground_truth_scores(rng.random((2000, 200)), big)
    assert abs(np.nanmean(random["auroc"]) - 0.5) < 0.01
    assert big.mean() < np.nanmean(random["aupr"]) < big.mean() + 0.05


def test_gini_and_entropy_extremes():
    uniform = np.ones((1, 8, 4))
    single = np.zeros((1, 8, 4))
    single[0, 3, 1] = -2.0
    n = 32
    assert gini(uniform)[0] == pytest.approx(0.0)
    assert gini(single)[0] == pytest.approx((n - 1) / n)
    assert entropy(uniform)[0] == pytest.approx(1.0)
    assert entropy(single)[0] == pytest.approx(0.0)
    two = np.zeros((1, 4))
    two[0, :2] = 1.0
    assert entropy(two)[0] == pytest.approx(np.log(2) / np.log(4))
    assert gini(two)[0] == pytest.approx(0.5)  # (2*3-5)*1 + (2*4-5)*1 = 4; 4 / (4*2)
    assert np.isnan(gini(np.zeros((1, 5))))[0] and np.isnan(entropy(np.zeros((1, 5))))[0]


def test_attention_sharpness_known_rows():
    from analysis import attention_sharpness

    n_keys = 8
    uniform = np.full((2, 3, n_keys, n_keys), 1.0 / n_keys)
    result = attention_sharpness(uniform)
    assert result["positions"] == n_keys and result["uniform_weight"] == pytest.approx(1 / n_keys)
    assert result["normalised_entropy"] == pytest.approx(1.0) and result["max_weight"] == pytest.approx(1 / n_keys)
    one_hot = np.zeros((1, 1, n_keys, n_keys))
    one_hot[0, 0, np.arange(n_keys), (np.arange(n_keys) + 1) % n_keys] = 1.0
    assert attention_sharpness(one_hot)["normalised_entropy"] == pytest.approx(0.0)
    assert attention_sharpness(one_hot)["max_weight"] == pytest.approx(1.0)
    # half the rows uniform, half on two keys (entropy log 2 / log 8 = 1/3): mean 2/3
    mixed = np.full((1, 2, n_keys, n_keys), 1.0 / n_keys)
    mixed[0, 1] = 0.0
    mixed[0, 1, :, :2] = 0.5
    assert attention_sharpness(mixed)["normalised_entropy"] == pytest.approx((1 + 1 / 3) / 2)
    assert attention_sharpness(mixed)["max_weight"] == pytest.approx((1 / n_keys + 0.5) / 2)
    with pytest.raises(InputError, match="4-dimensional"):
        attention_sharpness(np.ones((3, 4)))
    with pytest.raises(InputError, match="at least 2 key positions"):
        attention_sharpness(np.ones((1, 1, 1, 1)))


def test_continuous_jaccard():
    a = np.array([[1.0, 2.0, 0.0, 0.0]])
    assert continuous_jaccard(a, a)[0] == pytest.approx(1.0)
    assert continuous_jaccard(a, -a)[0] == pytest.approx(1.0)  # magnitudes
    assert continuous_jaccard(a, np.array([[0.0, 0.0, 3.0, 1.0]]))[0] == pytest.approx(0.0)
    assert continuous_jaccard(a, np.array([[2.0, 1.0, 0.0, 1.0]]))[0] == pytest.approx((1 + 1) / (2 + 2 + 1))
    with pytest.raises(InputError, match="cannot be compared"):
        continuous_jaccard(a, np.ones((1, 5)))


def test_bad_shapes():
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        position_scores(np.ones((2, 3, 5)))
    with pytest.raises(InputError, match="differ in shape"):
        ground_truth_scores(np.ones((2, 3)), np.ones((2, 4), bool))
