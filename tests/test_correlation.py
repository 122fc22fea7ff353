"""Tests for analysis.pairs and analysis.correlation (GLIFAC)."""
import h5py
import numpy as np
import pytest
from scipy.stats import chisquare, pearsonr

from analysis import (CorrelationAccumulator, aggregate_heads, attended_pairs, correlation_map, glifac_map,
                      glifac_maps, random_pairs, symmetrize)
from simulate.errors import InputError


def pearson_loop(fm, pairs):
    seq, i, j = pairs
    F = fm.shape[2]
    return np.array([[pearsonr(fm[seq, i, f], fm[seq, j, g])[0] for g in range(F)] for f in range(F)])


# --------------------------------------------------------------------------------------- pairs
def test_attended_pairs_known_map():
    att = np.zeros((2, 3, 3))
    att[0, 0, 1] = 0.5      # exactly at threshold: included
    att[0, 2, 0] = 0.9
    att[0, 1, 1] = 1.0      # diagonal: ignored
    att[1, 1, 2] = 0.49     # below
    att[1, 2, 1] = 0.7
    seq, i, j = attended_pairs(att, 0.5)
    assert [tuple(p) for p in zip(seq, i, j)] == [(0, 0, 1), (0, 2, 0), (1, 2, 1)]
    assert seq.dtype == i.dtype == j.dtype == np.int64
    seq, _, _ = attended_pairs(att, 0.5, seq_offset=100)
    assert seq.tolist() == [100, 100, 101]
    # threshold 0 on a zero map: every off-diagonal pair
    assert attended_pairs(np.zeros((4, 5, 5)), 0.0)[0].size == 4 * 5 * 4


def test_attended_pairs_rejects_bad_input():
    with pytest.raises(InputError):
        attended_pairs(np.zeros((2, 3, 4)), 0.1)
    with pytest.raises(InputError):
        attended_pairs(np.full((1, 2, 2), np.nan), 0.1)
    with pytest.raises(InputError):
        attended_pairs(np.zeros((1, 2, 2)), np.nan)


@pytest.mark.parametrize("n_pairs", [0, 1, 7, 100_000])
def test_random_pairs_exact_count_and_distinct_positions(n_pairs):
    seq, i, j = random_pairs(n_pairs, n_seqs=13, length=9, random_state=0)
    assert seq.size == i.size == j.size == n_pairs
    assert np.all(i != j)
    for arr, hi in ((seq, 13), (i, 9), (j, 9)):
        assert arr.dtype == np.int64
        if n_pairs:
            assert arr.min() >= 0 and arr.max() < hi


def test_random_pairs_uniform_over_distinct_pairs():
    seq, i, j = random_pairs(24_000, n_seqs=2, length=4, random_state=3)   # 2*4*3 = 24 cells
    cells = (seq * 4 + i) * 4 + j
    counts = np.bincount(cells, minlength=32).reshape(2, 4, 4)
    assert np.all(counts[:, np.arange(4), np.arange(4)] == 0)
    off = counts[:, ~np.eye(4, dtype=bool)].ravel()
    assert off.size == 24 and off.min() > 0
    assert chisquare(off).pvalue > 1e-3


def test_random_pairs_seeded_and_offset():
    a = random_pairs(50, 5, 6, random_state=1)
    b = random_pairs(50, 5, 6, random_state=np.random.RandomState(1), seq_offset=10)
    np.testing.assert_array_equal(a[0] + 10, b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(InputError):
        random_pairs(3, n_seqs=4, length=1)
    with pytest.raises(InputError):
        random_pairs(-1, 4, 4)
    assert random_pairs(0, 4, 1)[0].size == 0


def test_aggregate_heads_max_and_mean():
    s = np.zeros((1, 2, 2, 2))
    s[0, 0] = [[0.9, 0.1], [0.3, 0.5]]
    s[0, 1] = [[0.2, 0.4], [0.1, 0.6]]
    np.testing.assert_allclose(aggregate_heads(s, "max")[0], [[0, 0.4], [0.3, 0]])
    np.testing.assert_allclose(aggregate_heads(s, "mean")[0], [[0, 0.25], [0.2, 0]])
    with pytest.raises(InputError):
        aggregate_heads(s, "median")
    with pytest.raises(InputError):
        aggregate_heads(s[0], "max")


# --------------------------------------------------------------------------------- correlation
def planted_data(rs, n=40, half=6, F=5):
    """Queries at positions 0..half-1, keys at half..2*half-1 of every sequence."""
    fm = rs.normal(size=(n, 2 * half, F))
    fm[:, half:, 3] = 2.5 * fm[:, :half, 1] - 4.0     # filter 1 at query -> filter 3 at key: r = +1
    fm[:, half:, 0] = -0.5 * fm[:, :half, 4] + 1.0    # filter 4 at query -> filter 0 at key: r = -1
    seq = np.repeat(np.arange(n), half)
    i = np.tile(np.arange(half), n)
    return fm, (seq, i, i + half)


def test_planted_correlation_in_the_right_cell_and_orientation():
    fm, pairs = planted_data(np.random.RandomState(0))
    C = correlation_map(fm, pairs)
    assert C[1, 3] == pytest.approx(1.0, abs=1e-12)
    assert C[4, 0] == pytest.approx(-1.0, abs=1e-12)
    assert abs(C[3, 1]) < 0.3 and abs(C[0, 4]) < 0.3   # reverse orientation: unrelated noise
    S = symmetrize(C)
    assert S[1, 3] == S[3, 1] == pytest.approx(1.0)
    assert S[4, 0] == S[0, 4] == pytest.approx(-1.0)
    assert np.all(np.diag(S) == 0) and np.array_equal(S, S.T)


def test_correlation_map_matches_scipy_pearsonr():
    rs = np.random.RandomState(1)
    fm = rs.gamma(2.0, size=(30, 20, 6)).astype(np.float32)
    pairs = random_pairs(3000, 30, 20, random_state=2)
    np.testing.assert_allclose(correlation_map(fm, pairs, batch_size=257), pearson_loop(fm, pairs), atol=1e-4)


def test_accumulator_batches_and_merge_equal_one_shot():
    rs = np.random.RandomState(2)
    q, k = rs.normal(size=(1000, 4)), rs.normal(size=(1000, 3)) + rs.normal(size=(1000, 1))
    one = CorrelationAccumulator(4, 3).update(q, k).result()
    batched = CorrelationAccumulator(4, 3)
    for a in range(0, 1000, 97):
        batched.update(q[a:a + 97], k[a:a + 97])
    left = CorrelationAccumulator(4, 3).update(q[:300], k[:300])
    right = CorrelationAccumulator(4, 3).update(q[300:], k[300:])
    np.testing.assert_allclose(batched.result(), one, atol=1e-12)
    np.testing.assert_allclose(left.merge(right).result(), one, atol=1e-12)
    assert left.n == 1000
    expected = np.array([[pearsonr(q[:, f], k[:, g])[0] for g in range(3)] for f in range(4)])
    np.testing.assert_allclose(one, expected, atol=1e-12)


def test_accumulator_is_numerically_stable_with_large_offsets():
    rs = np.random.RandomState(3)
    q = 1e9 + rs.normal(size=(5000, 2))
    k = -1e9 + q[:, ::-1] - 1e9 + 0.5 * rs.normal(size=(5000, 2))
    acc = CorrelationAccumulator(2)
    for a in range(0, 5000, 64):
        acc.update(q[a:a + 64], k[a:a + 64])
    expected = [[pearsonr(q[:, f] - 1e9, k[:, g] + 2e9)[0] for g in range(2)] for f in range(2)]
    np.testing.assert_allclose(acc.result(), expected, atol=1e-6)


def test_weighted_update_equals_repeated_pairs():
    rs = np.random.RandomState(4)
    x = rs.normal(size=(3, 5, 4))
    w = rs.randint(0, 3, size=(3, 5, 5))
    s, i, j = np.nonzero(w)
    rep = w[s, i, j]
    pairs = (np.repeat(s, rep), np.repeat(i, rep), np.repeat(j, rep))
    acc = CorrelationAccumulator(4).update_weighted(x, w)
    assert acc.n == w.sum()
    np.testing.assert_allclose(acc.result(), correlation_map(x, pairs), atol=1e-12)


def test_constant_columns_give_fill_value():
    rs = np.random.RandomState(5)
    fm, pairs = planted_data(rs)
    fm[:, :6, 2] = 7.0          # filter 2 constant at every query position, varying elsewhere
    C = correlation_map(fm, pairs)
    key_side = np.delete(C[:, 2], 2)            # filter 2 at the key side varies: defined
    assert np.all(C[2] == 0.0) and np.all(key_side != 0)
    Cn = correlation_map(fm, pairs, fill_value=np.nan)
    assert np.all(np.isnan(Cn[2])) and not np.isnan(np.delete(Cn[:, 2], 2)).any()
    assert np.all(correlation_map(fm, (np.zeros(0, int),) * 3) == 0)   # no pairs at all


def test_correlation_map_rejects_bad_pairs():
    fm = np.zeros((2, 3, 4))
    with pytest.raises(InputError):
        correlation_map(fm, (np.array([0]), np.array([3]), np.array([0])))
    with pytest.raises(InputError):
        correlation_map(fm, (np.array([0]), np.array([0])))
    with pytest.raises(InputError):
        correlation_map(fm, (np.array([0.5]), np.array([0]), np.array([1])))


def test_symmetrize_known_matrix():
    C = np.array([[0.9, -0.8, 0.1],
                  [0.3, 0.5, np.nan],
                  [-0.1, 0.2, 0.7]])
    expected = np.array([[0.0, -0.8, 0.1],     # |-0.8| > |0.3|; tie 0.1 / -0.1 keeps +0.1
                         [-0.8, 0.0, 0.2],     # NaN loses to 0.2
                         [0.1, 0.2, 0.0]])
    np.testing.assert_array_equal(symmetrize(C), expected)


# ------------------------------------------------------------------------------------ streaming
def toy_attention(rs, n=20, L=8):
    att = rs.dirichlet(np.ones(L) * 0.3, size=(n, L))
    return att


def test_glifac_map_equals_explicit_pairs_under_documented_scheme():
    rs = np.random.RandomState(6)
    fm, att = rs.gamma(1.5, size=(20, 8, 5)), toy_attention(rs)
    res = glifac_map(fm, att, 0.2, random_state=42, chunk_size=7)
    # rebuild the pairs the docstring promises: attended + per-chunk random pairs
    seeds = np.random.RandomState(42).randint(2**31 - 1, size=3)
    parts = [attended_pairs(att, 0.2)]
    for c, a in enumerate(range(0, 20, 7)):
        k = attended_pairs(att[a:a + 7], 0.2)[0].size
        parts.append(random_pairs(k, min(7, 20 - a), 8, np.random.RandomState(seeds[c]), seq_offset=a))
    pairs = tuple(np.concatenate([p[d] for p in parts]) for d in range(3))
    assert res.n_attended == res.n_random == parts[0][0].size > 0
    np.testing.assert_allclose(res.raw, pearson_loop(fm, pairs), atol=1e-10)
    np.testing.assert_allclose(res.map, symmetrize(res.raw))


def test_attention_free_control_uses_twice_as_many_random_pairs_and_no_attended_ones():
    """attended=False: per chunk, the first 2k pairs of the same random stream, where k is the
    chunk's attended-pair count; so a planted attended-pair signal disappears from the map."""
    rs = np.random.RandomState(6)
    fm, att = rs.gamma(1.5, size=(20, 8, 5)), toy_attention(rs)
    control = glifac_maps(fm, att, [0.2], random_state=42, chunk_size=7, attended=False)
    seeds = np.random.RandomState(42).randint(2**31 - 1, size=3)
    parts = []
    for c, a in enumerate(range(0, 20, 7)):
        k = attended_pairs(att[a:a + 7], 0.2)[0].size
        parts.append(random_pairs(2 * k, min(7, 20 - a), 8, np.random.RandomState(seeds[c]), seq_offset=a))
    pairs = tuple(np.concatenate([p[d] for p in parts]) for d in range(3))
    assert control.n_random[0] == 2 * control.n_attended[0] == pairs[0].size > 0
    np.testing.assert_allclose(control.raw[0], pearson_loop(fm, pairs), atol=1e-10)
    # a signal carried only by attended pairs: filter 0 at the query predicts filter 1 at the key
    fm2 = rs.normal(size=(400, 8, 3))
    att2 = np.zeros((400, 8, 8))
    q, k = rs.randint(0, 8, 400), rs.randint(0, 7, 400)
    k = k + (k >= q)
    att2[np.arange(400), q, k] = 1.0
    fm2[np.arange(400), k, 1] = fm2[np.arange(400), q, 0]
    with_attention = glifac_maps(fm2, att2, [0.5], random_state=1)
    without = glifac_maps(fm2, att2, [0.5], random_state=1, attended=False)
    assert with_attention.raw[0, 0, 1] > 0.4 and abs(without.raw[0, 0, 1]) < 0.15


def test_many_thresholds_in_one_pass_equal_single_calls():
    rs = np.random.RandomState(7)
    fm, att = rs.normal(size=(25, 8, 4)), toy_attention(rs, n=25)
    thr = [0.5, 0.0, 0.1, 2.0]
    multi = glifac_maps(fm, att, thr, random_state=3, chunk_size=10)
    assert multi.maps.shape == (4, 4, 4)
    for t, threshold in enumerate(thr):
        one = glifac_map(fm, att, threshold, random_state=3, chunk_size=10)
        assert one.n_attended == multi.n_attended[t] == int(((att >= threshold) & ~np.eye(8, dtype=bool)).sum())
        np.testing.assert_allclose(one.raw, multi.raw[t], atol=1e-12)
        np.testing.assert_allclose(one.map, multi.maps[t], atol=1e-12)
    assert multi.n_attended[3] == 0 and np.all(multi.maps[3] == 0)   # nothing attended above 2.0


def test_glifac_recovers_planted_interaction_and_reads_h5py(tmp_path):
    rs = np.random.RandomState(8)
    n, L, F = 200, 10, 4
    fm = rs.exponential(size=(n, L, F))
    att = np.full((n, L, L), 0.01)
    i = rs.randint(0, L // 2, size=n)
    j = i + L // 2
    att[np.arange(n), i, j] = 0.9
    fm[np.arange(n), j, 2] = fm[np.arange(n), i, 0]      # filter 0 at query drives filter 2 at key
    path = tmp_path / "maps.h5"
    with h5py.File(path, "w") as h:
        h["fm"], h["att"] = fm, att
    with h5py.File(path, "r") as h:
        res = glifac_maps(h["fm"], h["att"], [0.5], random_state=0, chunk_size=64)
    assert res.n_attended[0] == n
    raw = res.raw[0]
    assert raw[0, 2] > 0.3 and raw[0, 2] == raw.max()
    assert res.maps[0][2, 0] == raw[0, 2]


def test_glifac_rejects_mismatched_shapes():
    with pytest.raises(InputError):
        glifac_maps(np.zeros((3, 5, 2)), np.zeros((3, 4, 4)), [0.1])
    with pytest.raises(InputError):
        glifac_maps(np.zeros((3, 5, 2)), np.zeros((3, 5, 5)), [])
    bad = np.zeros((3, 5, 5))
    bad[0, 0, 1] = np.nan
    with pytest.raises(InputError):
        glifac_maps(np.zeros((3, 5, 2)), bad, [0.1])


def test_accumulator_validation_and_integer_input():
    acc = CorrelationAccumulator(2)
    q = np.array([[0, 1], [1, 0], [2, 2], [3, 1]])
    k = np.array([[0, 5], [2, 1], [4, 2], [6, 0]], dtype=np.int8)
    acc.update(q, k)
    assert acc.result()[0, 0] == pytest.approx(1.0)          # k[:, 0] = 2 * q[:, 0]
    assert acc.result()[0, 1] == pytest.approx(pearsonr([0, 1, 2, 3], [5, 1, 2, 0])[0])
    with pytest.raises(InputError):
        acc.update(q[:, :1], k)
    with pytest.raises(InputError):
        acc.update(q, k[:3])
    with pytest.raises(InputError):
        CorrelationAccumulator(2).update_weighted(np.zeros((1, 3, 2)), -np.ones((1, 3, 3)))
    with pytest.raises(InputError):
        CorrelationAccumulator(2).update_weighted(np.zeros((1, 3, 2)), np.ones((1, 3, 2)))


def test_attention_histogram_counts_off_diagonal_values_in_equal_bins():
    from analysis import attention_histogram

    att = np.zeros((2, 3, 3))
    att[:, np.arange(3), np.arange(3)] = 0.99           # the diagonal is never counted
    att[0, 0, 1], att[0, 1, 0], att[1, 2, 0] = 0.05, 0.55, 1.0
    counts = attention_histogram(att, bins=10, chunk_size=1)
    assert counts.sum() == 2 * 3 * 2 and counts[0] == 10 and counts[5] == 1 and counts[9] == 1  # 9 zeros + 0.05
    with pytest.raises(InputError, match="shape"):
        attention_histogram(np.zeros((2, 3, 4)))
