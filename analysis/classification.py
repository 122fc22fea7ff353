"""Classification metrics of a multi-task model: macro per-task scores and the paper's pooled AUC.

Two ways of summarising (N, T) predictions, both reported because they differ:

* **macro** (:func:`classification_metrics`): AUROC and average precision per
  task (scikit-learn, exact), then the mean over tasks. Each task counts once,
  whatever its positive rate.
* **pooled** (:func:`pooled_auc`): all N × T labels flattened into one
  binary problem and scored the way ``tf.keras.metrics.AUC`` does it with its
  defaults (``multi_label=False``, 200 thresholds, interpolation), which is how
  Ghotra, Lee & Koo (2021) report test AUROC and AUPR (the authors'
  ``InteractionPipeline.py``). Frequent tasks weigh more, and the PR area uses
  Davis & Goadrich's interpolation over 200 buckets rather than exact average
  precision, so the two AUPRs of one model can differ by 0.01 or more.
"""
from __future__ import annotations

import numpy as np

from analysis._validate import as_array
from simulate.errors import InputError

__all__ = ["accuracy", "binary_crossentropy", "categorical_crossentropy", "classification_metrics",
           "cross_entropy", "pooled_auc"]

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): the end thresholds and the loss clip
KERAS_NUM_THRESHOLDS = 200  # keras.metrics.AUC's default


def _labels_and_scores(y_true, y_prob) -> tuple[np.ndarray, np.ndarray]:
    y_true = as_array(y_true, "y_true", (1, 2))
    y_prob = as_array(y_prob, "y_prob", (1, 2))
    if y_true.shape != y_prob.shape:
        raise InputError(f"y_true {y_true.shape} and y_prob {y_prob.shape} differ in shape")
    return y_true, y_prob


def classification_metrics(y_true, y_prob, task_names, head: str = "sigmoid") -> dict:
    """Macro and per-task AUROC / AUPR (scikit-learn), and the pooled Keras-style AUCs.

    Parameters
    ----------
    y_true : array_like, shape (N, T)
        0/1 labels.
    y_prob : array_like, shape (N, T)
        Predicted probabilities.
    task_names : sequence of str, length T
    head : {"sigmoid", "softmax"}
        How ``accuracy`` is counted (:func:`accuracy`).

    Returns
    -------
    dict
        ``accuracy``: :func:`accuracy`; ``auroc``, ``aupr``: macro means over the tasks where they are
        defined (NaN if none); ``auroc_per_task``, ``aupr_per_task``: name ->
        value (NaN for a task whose labels are all one class);
        ``auroc_pooled``, ``aupr_pooled``: :func:`pooled_auc`.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y_true, y_prob = _labels_and_scores(y_true, y_prob)
    if y_true.ndim != 2:
        raise InputError(f"y_true must be (N, T), got shape {y_true.shape}")
    y_prob = y_prob.astype(np.float64)
    task_names = list(task_names)
    if len(task_names) != y_true.shape[1]:
        raise InputError(f"{len(task_names)} task names for {y_true.shape[1]} label columns")
    auroc = dict.fromkeys(task_names, float("nan"))
    aupr = dict.fromkeys(task_names, float("nan"))
    # tasks with both classes present; scored in one multilabel call (a
    # per-task loop pays scikit-learn's input validation T times)
    defined = np.flatnonzero((y_true.min(axis=0) != y_true.max(axis=0))
                             & np.all(np.isfinite(y_prob), axis=0)) if len(y_true) else np.zeros(0, int)
    if len(defined):
        labels, scores = y_true[:, defined], y_prob[:, defined]
        auroc_values = np.atleast_1d(roc_auc_score(labels, scores, average=None))
        aupr_values = np.atleast_1d(average_precision_score(labels, scores, average=None))
        for j, k in enumerate(defined):
            auroc[task_names[k]] = float(auroc_values[j])
            aupr[task_names[k]] = float(aupr_values[j])
    pooled = pooled_auc(y_true, y_prob) if np.all(np.isfinite(y_prob)) else \
        {"auroc": float("nan"), "aupr": float("nan")}
    return {
        "accuracy": accuracy(y_true, y_prob, head),
        "auroc": _nanmean(auroc.values()),
        "aupr": _nanmean(aupr.values()),
        "auroc_per_task": auroc,
        "aupr_per_task": aupr,
        "auroc_pooled": pooled["auroc"],
        "aupr_pooled": pooled["aupr"],
    }


def pooled_auc(y_true, y_prob, num_thresholds: int = KERAS_NUM_THRESHOLDS) -> dict:
    """AUROC and AUPR over all labels flattened, computed as ``keras.metrics.AUC`` computes them.

    Keras buckets every prediction ``p`` (clipped to [0, 1], float32) at
    ``max(ceil(p * (num_thresholds - 1)) - 1, 0)``, which is the number of the
    thresholds ``[-eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps]`` that ``p`` strictly
    exceeds, minus one; the confusion counts at each threshold are cumulative
    sums over buckets. ROC: trapezoidal sum over the 200 (FPR, TPR) points.
    PR: Davis & Goadrich interpolation between successive thresholds (precision
    interpolated linearly in the number of predicted positives), Keras's
    ``interpolate_pr_auc``, with divisions by zero read as 0.

    Parameters
    ----------
    y_true : array_like, shape (N,) or (N, T)
        0/1 labels (any non-zero value counts as positive, as in Keras).
    y_prob : array_like, same shape
        Predicted probabilities.
    num_thresholds : int, default 200

    Returns
    -------
    dict
        ``auroc``, ``aupr`` (floats; NaN when the labels hold one class only,
        where Keras would report 0).
    """
    y_true, y_prob = _labels_and_scores(y_true, y_prob)
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
            or num_thresholds < 2:
        raise InputError(f"num_thresholds must be an integer > 1, got {num_thresholds!r}")
    positive = y_true.reshape(-1) != 0
    if positive.all() or not positive.any():
        return {"auroc": float("nan"), "aupr": float("nan")}
    p = np.clip(y_prob.reshape(-1).astype(np.float32), 0.0, 1.0)
    # float32 arithmetic as in Keras (the model's output dtype), so bucket edges agree
    bucket = np.ceil(p * np.float32(num_thresholds - 1)) - np.float32(1)
    bucket = np.maximum(bucket, 0).astype(np.int64)
    pos_hist = np.bincount(bucket[positive], minlength=num_thresholds)[:num_thresholds]
    neg_hist = np.bincount(bucket[~positive], minlength=num_thresholds)[:num_thresholds]
    tp = np.cumsum(pos_hist[::-1])[::-1].astype(np.float64)
    fp = np.cumsum(neg_hist[::-1])[::-1].astype(np.float64)
    fn = tp[0] - tp
    tn = fp[0] - fp
    recall = _divide_no_nan(tp, tp + fn)
    fpr = _divide_no_nan(fp, fp + tn)
    auroc = float(np.sum((fpr[:-1] - fpr[1:]) * (recall[:-1] + recall[1:]) / 2))
    return {"auroc": auroc, "aupr": _interpolated_pr_auc(tp, fp, fn)}


def _interpolated_pr_auc(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
    """Keras's ``AUC.interpolate_pr_auc`` over cumulative counts at each threshold."""
    dtp = tp[:-1] - tp[1:]
    predicted = tp + fp
    dp = predicted[:-1] - predicted[1:]
    slope = _divide_no_nan(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * predicted[1:]
    both = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = np.where(both, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(ratio)
    increments = _divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
    return float(np.sum(increments))


def _divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with 0 where ``b`` is 0 (``keras.ops.divide_no_nan``)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(a.shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def binary_crossentropy(y_true, y_prob) -> float:
    """Mean binary cross-entropy, clipped like Keras (epsilon 1e-7).

    Parameters
    ----------
    y_true, y_prob : array_like, same shape
    """
    y_true, y_prob = _labels_and_scores(y_true, y_prob)
    p = np.clip(y_prob.astype(np.float64), KERAS_EPSILON, 1 - KERAS_EPSILON)
    y = y_true.astype(np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def categorical_crossentropy(y_true, y_prob) -> float:
    """Mean categorical cross-entropy over sequences, clipped like Keras (epsilon 1e-7).

    Parameters
    ----------
    y_true : array_like, shape (N, C)
        One-hot classes.
    y_prob : array_like, shape (N, C)
        Softmax probabilities.
    """
    y_true, y_prob = _labels_and_scores(y_true, y_prob)
    p = np.clip(y_prob.astype(np.float64), KERAS_EPSILON, 1 - KERAS_EPSILON)
    return float(-np.mean(np.sum(y_true * np.log(p), axis=-1)))


# model head -> its training loss
_CROSS_ENTROPY = {"sigmoid": binary_crossentropy, "softmax": categorical_crossentropy}


def cross_entropy(y_true, y_prob, head: str = "sigmoid") -> float:
    """The loss a model with this ``head`` trains on: binary (sigmoid) or categorical (softmax)."""
    if head not in _CROSS_ENTROPY:
        raise InputError(f"head must be one of {', '.join(_CROSS_ENTROPY)}, got {head!r}")
    return _CROSS_ENTROPY[head](y_true, y_prob)


def accuracy(y_true, y_prob, head: str = "sigmoid") -> float:
    """Fraction of correct calls.

    Parameters
    ----------
    y_true, y_prob : array_like, shape (N, T)
    head : {"sigmoid", "softmax"}
        ``"softmax"``: a sequence is correct when its most probable class is
        its labelled class. ``"sigmoid"``: every label counts once, called
        positive at probability > 0.5 (Keras's ``binary_accuracy``).
    """
    y_true, y_prob = _labels_and_scores(y_true, y_prob)
    if not len(y_true):
        return float("nan")
    if head == "softmax":
        return float(np.mean(np.argmax(y_true, axis=-1) == np.argmax(y_prob, axis=-1)))
    if head == "sigmoid":
        return float(np.mean((y_prob > 0.5) == (y_true > 0.5)))
    raise InputError(f"head must be one of sigmoid, softmax, got {head!r}")


def _nanmean(values) -> float:
    values = np.array(list(values), dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")
