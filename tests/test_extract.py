"""Streaming extraction from a real Keras CAN: attention maps and filter PPMs."""
from __future__ import annotations

import numpy as np
import pytest

import architectures
from simulate import one_hot
from analysis import aggregate_heads
from analysis.extract import extract_attention_maps, extract_filter_ppms
from simulate.errors import InputError

BASES = "ACGT"
MOTIF = "TGACGTCA"  # planted in every sequence


@pytest.fixture(scope="module")
def model():
    return architectures.build_model("CNN4-ReLU", input_length=60, n_tasks=3, n_filters=4, filter_width=9,
                                     num_heads=2, key_dim=4, dense_units=8)


def test_streamed_attention_equals_one_shot_and_excludes_the_diagonal(model):
    x = np.random.default_rng(0).integers(0, 2, (23, 60, 4)).astype(np.float32)

    def probe(xb):
        return architectures.pooled_features_and_attention(model, xb)

    streamed = extract_attention_maps(x, probe, batch_size=5, heads="max")
    features, scores = architectures.pooled_features_and_attention(model, x)
    np.testing.assert_allclose(streamed.features, features, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(streamed.attention, aggregate_heads(scores, "max"), rtol=1e-5, atol=1e-6)
    assert np.all(streamed.attention[:, np.arange(15), np.arange(15)] == 0)
    mean = extract_attention_maps(x, probe, batch_size=7, heads="mean", keep_features=False)
    assert mean.features is None
    np.testing.assert_allclose(mean.attention, aggregate_heads(scores, "mean"), rtol=1e-5, atol=1e-6)


def test_ppm_recovered_from_a_model_whose_filter_is_set_to_a_known_motif(model):
    rng = np.random.default_rng(1)
    n, length, width = 400, 60, 9
    bases = rng.integers(0, 4, (n, length))
    starts = rng.integers(5, length - 5 - len(MOTIF), n)
    for row, start in zip(bases, starts):
        row[start : start + len(MOTIF)] = [BASES.index(b) for b in MOTIF]
    x = one_hot(bases)

    # filter 0 = log-odds of the motif (centred in the width-9 kernel), the others silent
    conv = model.get_layer(architectures.CONV)
    kernel, bias = [w.copy() for w in conv.get_weights()]
    kernel[:] = -10.0
    kernel[:, :, 0] = 0.0  # the ninth kernel row stays neutral
    for k, base in enumerate(MOTIF):
        kernel[k, :, 0] = -1.0
        kernel[k, BASES.index(base), 0] = 1.0
    bias[:] = 0.0
    conv.set_weights([kernel, bias])

    ppms, n_sites, max_activation = extract_filter_ppms(
        x, lambda xb: architectures.conv_activations(model, xb), filter_width=width, batch_size=64)
    assert ppms.shape == (4, width, 4)
    assert max_activation[0] == pytest.approx(len(MOTIF))  # a perfect match scores 1 per position
    assert n_sites[0] >= n  # every planted site passes 50% of the maximum
    recovered = "".join(BASES[i] for i in ppms[0, : len(MOTIF)].argmax(axis=1))
    assert recovered == MOTIF
    assert np.all(ppms[0, : len(MOTIF)].max(axis=1) > 0.8)
    assert n_sites[1:].sum() == 0 and np.allclose(ppms[1:], 0.25)  # dead ReLU filters: no sites


def test_extraction_rejects_non_one_hot_shapes(model):
    with pytest.raises(InputError):
        extract_attention_maps(np.zeros((3, 60)), lambda xb: None)
    with pytest.raises(InputError):
        extract_filter_ppms(np.zeros((0, 60, 4)), lambda xb: None, filter_width=9)
