"""Stream a model over sequences, keeping only what interpretation needs.

The model enters as *probe* callables, so this module stays free of Keras:
``glifac`` passes :func:`architectures.pooled_features_and_attention` and
:func:`architectures.conv_activations` bound to a model. Per-head attention
(N, heads, L', L') is never held for more than one batch: each batch is
reduced over heads at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from analysis._validate import check_int
from analysis.filters import FilterPPMAccumulator, max_activations
from analysis.pairs import aggregate_heads
from simulate.errors import InputError
from simulate.validate import check_one_hot_shape

__all__ = ["AttentionMaps", "extract_attention_maps", "extract_filter_ppms"]

Progress = Callable[[int], None]


@dataclass
class AttentionMaps:
    """Pooled feature maps and head-aggregated attention of a set of sequences.

    Attributes
    ----------
    features : numpy.ndarray, shape (N, L', F), float32 or None
        Filter activity per pooled position (``None`` when not requested).
    attention : numpy.ndarray, shape (N, L', L'), float32
        Attention aggregated over heads, query rows, key columns, diagonal 0.
    """

    features: np.ndarray | None
    attention: np.ndarray


def _check_one_hot_batchable(x) -> np.ndarray:
    x = np.asarray(x)
    check_one_hot_shape(x, "x")
    if len(x) == 0:
        raise InputError("x holds no sequences")
    return x


def extract_attention_maps(
    x,
    probe: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    batch_size: int = 500,
    heads: str = "max",
    keep_features: bool = True,
    progress: Progress | None = None,
) -> AttentionMaps:
    """Run ``probe`` over ``x`` in batches and aggregate attention over heads.

    Parameters
    ----------
    x : array_like, shape (N, L, 4)
        One-hot sequences.
    probe : callable
        ``probe(x_batch) -> (features (B, L', F), scores (B, H, L', L'))``.
    batch_size : int
        Sequences per forward pass.
    heads : {"max", "mean"}
        How heads are combined (the paper: max).
    keep_features : bool
        Keep the feature maps (not needed for a shuffled null).
    progress : callable, optional
        Called with the number of sequences done after each batch.

    Returns
    -------
    AttentionMaps
    """
    x = _check_one_hot_batchable(x)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    features = attention = None
    for start in range(0, len(x), batch_size):
        f_batch, scores = probe(x[start : start + batch_size])
        a_batch = aggregate_heads(scores, how=heads).astype(np.float32, copy=False)
        if attention is None:
            attention = np.empty((len(x),) + a_batch.shape[1:], dtype=np.float32)
            if keep_features:
                features = np.empty((len(x),) + f_batch.shape[1:], dtype=np.float32)
        attention[start : start + len(a_batch)] = a_batch
        if keep_features:
            features[start : start + len(f_batch)] = f_batch
        if progress is not None:
            progress(start + len(a_batch))
    return AttentionMaps(features=features, attention=attention)


def extract_filter_ppms(
    x,
    conv_probe: Callable[[np.ndarray], np.ndarray],
    filter_width: int,
    threshold: float = 0.5,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filter PPMs from activation-aligned windows, in two streaming passes.

    Pass 1 finds each filter's maximum activation over ``x``; pass 2 counts the
    bases of the width-``filter_width`` windows where activation exceeds
    ``threshold`` times that maximum (see :class:`analysis.filters.FilterPPMAccumulator`).
    First-layer activations (N, L, F) are never held for all of ``x`` at once.

    Parameters
    ----------
    x : array_like, shape (N, L, 4)
    conv_probe : callable
        ``conv_probe(x_batch) -> activations (B, L, F)`` ("same" padding).
    filter_width : int
    threshold : float
    batch_size : int
    progress : callable, optional
        Called with the number of sequences done (counting both passes, so 2N at the end).

    Returns
    -------
    ppms : numpy.ndarray, shape (F, W, 4)
    n_sites : numpy.ndarray, shape (F,)
    max_activation : numpy.ndarray, shape (F,)
    """
    x = _check_one_hot_batchable(x)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    max_activation = None
    for start in range(0, len(x), batch_size):
        batch_max = max_activations(conv_probe(x[start : start + batch_size]))
        max_activation = batch_max if max_activation is None else np.maximum(max_activation, batch_max)
        if progress is not None:
            progress(min(start + batch_size, len(x)))
    accumulator = FilterPPMAccumulator(max_activation, filter_width=filter_width, threshold=threshold)
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        accumulator.update(chunk, conv_probe(chunk))
        if progress is not None:
            progress(len(x) + min(start + batch_size, len(x)))
    ppms, n_sites = accumulator.result()
    return ppms, n_sites, np.asarray(max_activation, dtype=np.float64)
