"""Tests for analysis.local_attention (SATORI-style interaction counts)."""
import numpy as np
import pytest

from analysis import (active_filters, attended_pairs, interaction_counts, max_activations,
                      local_attention_map, local_attention_maps)
from simulate.errors import InputError


def brute_force_counts(active, pairs):
    F = active.shape[2]
    out = np.zeros((F, F), dtype=np.int64)
    for s, i, j in zip(*pairs):
        for f in range(F):
            for g in range(F):
                out[f, g] += bool(active[s, i, f]) and bool(active[s, j, g])
    return out


def test_active_filters_half_of_dataset_maximum():
    fm = np.array([[[1.0, 0.0, 4.0],
                    [0.5, 0.0, 2.0],      # exactly 50% of the max: not active (strictly greater)
                    [0.6, 0.0, 2.1]]])
    act = active_filters(fm)
    np.testing.assert_array_equal(act[0], [[1, 0, 1], [0, 0, 0], [1, 0, 1]])   # filter 1 is dead
    np.testing.assert_array_equal(max_activations(fm), [1.0, 0.0, 4.0])
    # a maximum passed in (e.g. over a larger data set) is used instead
    act = active_filters(fm, max_activations=[2.0, 1.0, 4.0])
    np.testing.assert_array_equal(act[0][:, 0], [0, 0, 0])
    with pytest.raises(InputError):
        active_filters(fm, max_activations=[1.0, 2.0])


def test_hand_built_count_map():
    # one sequence, 4 positions, 3 filters
    fm = np.array([[[1, 0, 0],      # pos 0: filter 0
                    [0, 1, 1],      # pos 1: filters 1, 2
                    [1, 1, 0],      # pos 2: filters 0, 1
                    [0, 0, 0]]], dtype=float)
    att = np.zeros((1, 4, 4))
    att[0, 0, 1] = 0.8   # query 0 -> key 1: (0,1), (0,2)
    att[0, 2, 1] = 0.3   # query 2 -> key 1: (0,1), (0,2), (1,1), (1,2)
    att[0, 1, 3] = 0.9   # key 3 has nothing active: no instance
    att[0, 2, 2] = 1.0   # diagonal: ignored
    expected_03 = np.array([[0, 2, 2], [0, 1, 1], [0, 0, 0]])
    expected_05 = np.array([[0, 1, 1], [0, 0, 0], [0, 0, 0]])
    res = local_attention_map(fm, att, 0.3)
    np.testing.assert_array_equal(res.counts, expected_03)
    assert res.n_pairs == 3 and res.counts.dtype == np.int64
    np.testing.assert_array_equal(local_attention_map(fm, att, 0.5).counts, expected_05)


def test_interaction_counts_equals_brute_force():
    rs = np.random.RandomState(0)
    active = rs.rand(15, 12, 6) < 0.3
    pairs = (rs.randint(0, 15, 500), rs.randint(0, 12, 500), rs.randint(0, 12, 500))
    np.testing.assert_array_equal(interaction_counts(active, pairs, batch_size=37), brute_force_counts(active, pairs))
    np.testing.assert_array_equal(interaction_counts(active.astype(np.int8), pairs),
                                  brute_force_counts(active, pairs))
    with pytest.raises(InputError):
        interaction_counts(active * 2.0, pairs)


def test_streaming_map_equals_brute_force_and_multi_threshold_equals_single():
    rs = np.random.RandomState(1)
    fm = np.maximum(rs.normal(size=(23, 10, 5)), 0)
    att = rs.rand(23, 10, 10) ** 3
    thr = [0.0, 0.2, 0.6, 1.5]
    multi = local_attention_maps(fm, att, thr, chunk_size=4)
    act = active_filters(fm)
    for t, threshold in enumerate(thr):
        pairs = attended_pairs(att, threshold)
        expected = brute_force_counts(act, pairs)
        np.testing.assert_array_equal(multi.counts[t], expected)
        assert multi.n_pairs[t] == pairs[0].size
        single = local_attention_map(fm, att, threshold, chunk_size=50)
        np.testing.assert_array_equal(single.counts, expected)
    assert multi.counts[3].sum() == 0 and multi.n_pairs[3] == 0
    np.testing.assert_array_equal(multi.max_activations, fm.max(axis=(0, 1)))


def test_max_activations_argument_changes_activity():
    fm = np.ones((2, 3, 2))
    att = np.full((2, 3, 3), 0.5)
    assert local_attention_map(fm, att, 0.1).counts.sum() == 2 * 6 * 4     # everything active
    assert local_attention_map(fm, att, 0.1, max_activations=[10.0, 1.0]).counts.tolist() == [[0, 0], [0, 12]]


def test_local_attention_rejects_bad_input():
    with pytest.raises(InputError):
        local_attention_maps(np.zeros((2, 3, 2)), np.zeros((2, 4, 4)), [0.1])
    with pytest.raises(InputError):
        local_attention_maps(np.zeros((2, 3, 2)), np.zeros((2, 3, 3)), 0.1)
    with pytest.raises(InputError):
        local_attention_map(np.zeros((2, 3, 2)), np.zeros((2, 3, 3)), float("inf"))
