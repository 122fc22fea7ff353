"""Classification metrics: macro per-task scores (scikit-learn) and the pooled AUC of keras.metrics.AUC."""
from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from analysis.classification import binary_crossentropy, classification_metrics, pooled_auc
from simulate.errors import InputError


def test_classification_metrics_match_sklearn_and_keep_names_straight():
    rng = np.random.default_rng(0)
    y = (rng.random((300, 4)) < 0.1).astype(np.uint8)
    p = np.clip(y * 0.3 + rng.random((300, 4)) * 0.8, 0, 1)
    y[:, 2] = 0  # one class only: undefined, excluded from the means
    m = classification_metrics(y, p, ["a", "b", "c", "d"])
    for name in "abd":
        k = "abcd".index(name)
        assert m["auroc_per_task"][name] == pytest.approx(roc_auc_score(y[:, k], p[:, k]))
        assert m["aupr_per_task"][name] == pytest.approx(average_precision_score(y[:, k], p[:, k]))
    # at 10% prevalence AUPR is far below AUROC: a swapped pair would show
    assert m["aupr"] < m["auroc"] - 0.2
    assert np.isnan(m["auroc_per_task"]["c"]) and np.isnan(m["aupr_per_task"]["c"])
    assert m["auroc"] == pytest.approx(np.mean([m["auroc_per_task"][n] for n in "abd"]))
    assert m["aupr"] == pytest.approx(np.mean([m["aupr_per_task"][n] for n in "abd"]))
    assert m["aupr_pooled"] < m["auroc_pooled"] - 0.2


def test_binary_crossentropy_matches_keras():
    rng = np.random.default_rng(1)
    y = (rng.random((50, 3)) < 0.3).astype(np.float32)
    p = rng.random((50, 3)).astype(np.float32)
    expected = float(keras.losses.BinaryCrossentropy()(y, p))
    assert binary_crossentropy(y, p) == pytest.approx(expected, rel=1e-5)


def _keras_auc(y, p, curve):
    metric = keras.metrics.AUC(curve=curve)
    metric.update_state(y, p)
    return float(metric.result())


@pytest.mark.parametrize("case", ["continuous", "rounded to bucket edges", "saturated", "one task"])
def test_pooled_auc_equals_keras_metric(case):
    """The paper's metric: keras.metrics.AUC over all labels flattened (200 thresholds, interpolation)."""
    rng = np.random.default_rng(["continuous", "rounded to bucket edges", "saturated", "one task"].index(case))
    shape = (2000, 1) if case == "one task" else (2000, 12)
    y = (rng.random(shape) < 0.15).astype(np.float32)
    p = np.clip(y * rng.random(shape) * 0.6 + rng.random(shape) * 0.5, 0, 1).astype(np.float32)
    if case == "rounded to bucket edges":
        p = (np.round(p * 199) / 199).astype(np.float32)
    if case == "saturated":
        p[:50], p[50:100] = 0.0, 1.0
    ours = pooled_auc(y, p)
    assert ours["auroc"] == pytest.approx(_keras_auc(y, p, "ROC"), abs=1e-6)
    assert ours["aupr"] == pytest.approx(_keras_auc(y, p, "PR"), abs=1e-6)


def test_pooled_auc_weighs_frequent_tasks_more_than_the_macro_mean():
    """A perfectly ranked frequent task and a randomly ranked rare one: the macro mean
    counts them equally, the pooled AUC is dominated by the frequent task."""
    rng = np.random.default_rng(3)
    y = np.zeros((4000, 2), dtype=np.uint8)
    y[:2000, 0] = 1  # frequent, separable
    y[rng.choice(4000, 40, replace=False), 1] = 1  # rare, noise
    p = np.column_stack([0.2 + 0.6 * y[:, 0], rng.random(4000) * 0.5]).astype(np.float32)
    m = classification_metrics(y, p, ["frequent", "rare"])
    assert m["auroc_per_task"]["frequent"] == 1.0
    assert m["auroc"] == pytest.approx((1.0 + m["auroc_per_task"]["rare"]) / 2)
    assert m["auroc_pooled"] > 0.95 > m["auroc"]


def test_pooled_auc_needs_both_classes_and_matching_shapes():
    assert np.isnan(pooled_auc(np.zeros(5), np.linspace(0, 1, 5))["auroc"])
    with pytest.raises(InputError, match="differ in shape"):
        pooled_auc(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(InputError, match="num_thresholds"):
        pooled_auc(np.array([0, 1]), np.array([0.1, 0.9]), num_thresholds=1)
