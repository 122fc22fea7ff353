"""Tests for analysis.dinucleotide_shuffle: validity, exact uniformity, seeding, edge cases."""
import itertools
from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from analysis import dinucleotide_shuffle
from simulate import decode, encode
from simulate.errors import InputError

BASES = "ACGT"


def one_hot(seq, dtype=np.int8):
    return encode(seq).astype(dtype)


def dinucs(seq):
    return Counter(zip(seq, seq[1:]))


def enumerate_shuffles(seq):
    """Every sequence with the same first base and dinucleotide counts (depth-first search)."""
    counts = dinucs(seq)
    out = []

    def dfs(path, remaining):
        if remaining == 0:
            out.append("".join(path))
            return
        for b in BASES:
            if counts[(path[-1], b)] > 0:
                counts[(path[-1], b)] -= 1
                path.append(b)
                dfs(path, remaining - 1)
                path.pop()
                counts[(path[-1], b)] += 1

    dfs([seq[0]], len(seq) - 1)
    return out


def test_enumerator_matches_brute_force_permutations():
    seq = "ACGACATGA"
    brute = {"".join(p) for p in itertools.permutations(seq)
             if p[0] == seq[0] and dinucs("".join(p)) == dinucs(seq)}
    assert sorted(enumerate_shuffles(seq)) == sorted(brute)


@pytest.mark.parametrize("seq, n_valid, per_cell", [
    ("ACCCACGATGATG", 27, 1000),     # deeplift/tangermeme-style shuffles reach only 9 of these
    ("GATATCCTATACTC", 66, 300),
    ("TGAGCGGCCGCCGC", 200, 150),
])
def test_shuffles_are_uniform_over_all_valid_sequences(seq, n_valid, per_cell):
    valid = enumerate_shuffles(seq)
    assert len(valid) == n_valid == len(set(valid))
    n = n_valid * per_cell
    out = dinucleotide_shuffle(one_hot(seq), n=n, random_state=12345)
    assert out.shape == (n, len(seq), 4)
    seen = Counter(decode(s) for s in out)
    assert set(seen) == set(valid)                      # every valid shuffle reached, nothing else
    observed = np.array([seen[v] for v in valid])
    assert chisquare(observed).pvalue > 1e-3


def test_counts_first_and_last_base_preserved_on_random_sequences():
    rs = np.random.RandomState(0)
    x = np.eye(4, dtype=np.float32)[rs.randint(4, size=(40, 120))]
    out = dinucleotide_shuffle(x, n=3, random_state=1)
    assert out.shape == (40, 3, 120, 4) and out.dtype == np.float32
    assert np.all(out.sum(-1) == 1) and set(np.unique(out)) == {0.0, 1.0}
    n_changed = 0
    for s in range(40):
        src = decode(x[s])
        for r in range(3):
            shuf = decode(out[s, r])
            assert dinucs(shuf) == dinucs(src)
            assert shuf[0] == src[0] and shuf[-1] == src[-1]
            n_changed += shuf != src
    assert n_changed == 120  # a 120-nt random sequence has astronomically many shuffles


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.float64])
def test_dtype_preserved(dtype):
    x = one_hot("ACGTTGCAACGT", dtype=dtype)[None]
    out = dinucleotide_shuffle(x, n=2, random_state=0)
    assert out.dtype == np.dtype(dtype)
    for r in range(2):
        assert dinucs(decode(out[0, r])) == dinucs("ACGTTGCAACGT")


def test_same_seed_same_output_and_different_seed_differs():
    x = np.eye(4, dtype=np.int8)[np.random.RandomState(3).randint(4, size=(10, 60))]
    a = dinucleotide_shuffle(x, n=2, random_state=7)
    b = dinucleotide_shuffle(x, n=2, random_state=np.random.RandomState(7))
    c = dinucleotide_shuffle(x, n=2, random_state=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_single_sequence_input_returns_n_by_l_by_4():
    out = dinucleotide_shuffle(one_hot("ACCCACGATGATG"), n=5, random_state=0)
    assert out.shape == (5, 13, 4)


@pytest.mark.parametrize("seq", ["", "A", "AC", "GG", "AAAAT"])
def test_sequences_with_a_single_valid_shuffle_are_returned_unchanged(seq):
    x = np.zeros((1, len(seq), 4), dtype=np.int8)
    if seq:
        x[0] = one_hot(seq)
    out = dinucleotide_shuffle(x, n=4, random_state=0)
    assert out.shape == (1, 4, len(seq), 4)
    for r in range(4):
        np.testing.assert_array_equal(out[0, r], x[0])


@pytest.mark.parametrize("bad", [
    np.zeros((2, 5, 4)),                                     # all-zero ("N") positions
    np.full((1, 5, 4), 0.25),                                # soft encoding
    np.array([[[1, 1, 0, 0], [1, 0, 0, 0]]]),                # two hot
    np.array([[[2, 0, 0, 0], [1, 0, 0, 0]]]),                # not 0/1
    np.eye(4)[None, :, :3],                                  # channels not last / wrong count
    np.zeros((2, 3, 5, 4)),                                  # 4-D
    np.array([["A", "C"]]),                                  # strings
])
def test_non_one_hot_input_is_rejected(bad):
    with pytest.raises(InputError):
        dinucleotide_shuffle(bad)


def test_bad_n_rejected():
    with pytest.raises(InputError):
        dinucleotide_shuffle(one_hot("ACGT"), n=0)
    with pytest.raises(InputError):
        dinucleotide_shuffle(one_hot("ACGT"), n=1.5)


def test_error_message_names_the_position():
    x = np.eye(4)[[0, 1, 2, 3]][None].copy()
    x[0, 2] = 0
    with pytest.raises(InputError, match="position 2"):
        dinucleotide_shuffle(x)
