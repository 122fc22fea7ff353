"""Tests for analysis.filters (filter PPMs, information content) and
analysis.tomtom (Tomtom matching, labelling, coverage, JASPAR)."""
import warnings

import numpy as np
import pytest

from analysis.filters import (
    FilterPPMAccumulator,
    filter_ppms,
    information_content,
    max_activations,
    position_information_content,
    window_start,
)
from analysis.tomtom import (
    FilterMatch,
    benjamini_hochberg,
    filter_coverage,
    match_filters,
    matches_to_columns,
    tomtom_pvalues,
)
from simulate import one_hot
from simulate.errors import InputError
from simulate.jaspar import jaspar_ppms



def conv_same(x, weight):
    """Exact "same"-padded cross-correlation (N, L, 4) * (W, 4) -> (N, L).

    Zero padding of (W - 1) // 2 on the left and W // 2 on the right, the
    Keras/TensorFlow convention."""
    W = weight.shape[0]
    left = (W - 1) // 2
    xp = np.pad(x.astype(np.float64), ((0, 0), (left, W - 1 - left), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, W, axis=1)  # (N, L, 4, W)
    return np.einsum("nlaw,wa->nl", windows, weight)


def strong_ppm(consensus, p=0.85):
    ppm = np.full((len(consensus), 4), (1 - p) / 3)
    ppm[np.arange(len(consensus)), consensus] = p
    return ppm


def planted_data(ppm, n=400, length=80, seed=0):
    """Random sequences with one instance of ``ppm`` sampled into each."""
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, (n, length))
    w = len(ppm)
    cdf = ppm.cumsum(axis=1)
    for i in range(n):
        s = rng.integers(0, length - w + 1)
        u = rng.random(w)
        bases[i, s:s + w] = np.minimum((u[:, None] > cdf).sum(axis=1), 3)
    return one_hot(bases)


def random_motifs(n, seed, widths=(6, 11), alpha=0.15):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.full(4, alpha), size=rng.integers(*widths)) for _ in range(n)]


def revcomp(ppm):
    return ppm[::-1, ::-1].copy()


# ---------------------------------------------------------------- filter PPMs

CONSENSUS = np.array([2, 0, 3, 3, 0, 1, 0, 2])  # GATTACAG


@pytest.mark.parametrize("width, offset", [(8, 0), (11, 2)])
def test_ppm_recovers_planted_motif(width, offset):
    truth = strong_ppm(CONSENSUS)
    x = planted_data(truth)
    weight = np.zeros((width, 4))
    weight[offset:offset + len(truth)] = np.log2(truth / 0.25)
    act = np.maximum(conv_same(x, weight), 0)[..., None]

    ppms, n_sites = filter_ppms(x, act, filter_width=width)

    assert ppms.shape == (1, width, 4) and n_sites.shape == (1,)
    assert 200 <= n_sites[0] <= 450   # about one site per sequence (400 planted)
    core = ppms[0, offset:offset + len(truth)]
    np.testing.assert_array_equal(core.argmax(axis=1), CONSENSUS)
    assert np.corrcoef(core.ravel(), truth.ravel())[0, 1] > 0.9
    np.testing.assert_allclose(ppms.sum(axis=-1), 1)
    flanks = np.delete(ppms[0], np.arange(offset, offset + len(truth)), axis=0)
    if len(flanks):
        assert position_information_content(flanks).max() < 0.1


def test_ppm_counts_exact_windows_from_spikes():
    rng = np.random.default_rng(3)
    N, L, W = 3, 20, 5
    bases = rng.integers(0, 4, (N, L))
    x = one_hot(bases)
    act = np.zeros((N, L, 3))
    # filter 0: max 2.0 -> cutoff 1.0 (strict)
    act[0, 7, 0] = 2.0      # window 5..9
    act[1, 2, 0] = 1.5      # window 0..4 (first full window)
    act[2, 17, 0] = 1.2     # window 15..19 (last full window)
    act[2, 1, 0] = 2.0      # window -1..3: off the left end -> skipped
    act[1, 18, 0] = 1.9     # window 16..20: off the right end -> skipped
    act[0, 12, 0] = 1.0     # == cutoff: not a site
    act[1, 10, 0] = 0.9     # below cutoff
    # filter 1: one site; filter 2: nothing above zero
    act[2, 9, 1] = 0.3
    act[:, :, 2] = -1.0

    ppms, n_sites = filter_ppms(x, act, filter_width=W)

    expected = x[0, 5:10] + x[1, 0:5] + x[2, 15:20]
    np.testing.assert_array_equal(n_sites, [3, 1, 0])
    np.testing.assert_allclose(ppms[0], expected / 3)
    np.testing.assert_allclose(ppms[1], x[2, 7:12])
    np.testing.assert_allclose(ppms[2], 0.25)   # no sites -> uniform


def test_even_width_alignment_and_window_start():
    x = one_hot(np.arange(12) % 4)[None]          # ACGTACGTACGT
    act = np.zeros((1, 12, 1))
    act[0, 5, 0] = 1.0
    ppms, n = filter_ppms(x, act, filter_width=4)
    assert window_start(5, 4) == 4 and window_start(5, 5) == 3
    np.testing.assert_array_equal(ppms[0], x[0, 4:8])   # p - (W - 1) // 2 = 4
    assert n[0] == 1


def test_threshold_and_max_activation_and_pseudocount():
    x = one_hot([[0, 1, 2, 3, 0, 1, 2]])
    act = np.zeros((1, 7, 1))
    act[0, 2, 0], act[0, 4, 0] = 1.0, 3.0         # windows 1..3 and 3..5
    ppm, n = filter_ppms(x, act, 3, threshold=0.5)
    assert n[0] == 1
    ppm, n = filter_ppms(x, act, 3, threshold=0.2)
    assert n[0] == 2
    # A larger external maximum (e.g. from the full data set) raises the cutoff.
    ppm, n = filter_ppms(x, act, 3, threshold=0.5, max_activation=[10.0])
    assert n[0] == 0
    ppm, n = filter_ppms(x, act, 3, threshold=0.2, pseudocount=1.0)
    counts = x[0, 1:4] + x[0, 3:6]
    np.testing.assert_allclose(ppm[0], (counts + 1) / (2 + 4))


def test_accumulator_streams_like_one_shot():
    rng = np.random.default_rng(5)
    N, L, F, W = 57, 40, 6, 7
    x = one_hot(rng.integers(0, 4, (N, L)))
    act = np.maximum(rng.standard_normal((N, L, F)), 0).astype(np.float32)
    act[:, :, 5] = 0.0                              # a dead filter
    ref_ppms, ref_n = filter_ppms(x, act, W, threshold=0.3)

    mx = np.full(F, -np.inf)
    for i in range(0, N, 10):                       # pass 1: maxima
        mx = np.maximum(mx, act[i:i + 10].max(axis=(0, 1)))
    np.testing.assert_array_equal(mx, max_activations(act, chunk_size=8))
    acc = FilterPPMAccumulator(mx, W, threshold=0.3)
    for i in range(0, N, 13):                       # pass 2: counts
        acc.update(x[i:i + 13], act[i:i + 13])
    ppms, n = acc.result()
    np.testing.assert_array_equal(n, ref_n)
    np.testing.assert_allclose(ppms, ref_ppms)
    np.testing.assert_allclose(acc.counts.sum(axis=-1), np.broadcast_to(n[:, None], (F, W)))
    assert n[5] == 0 and n[:5].min() > 0
    # chunking inside filter_ppms does not change anything either
    ppms2, n2 = filter_ppms(x, act, W, threshold=0.3, chunk_size=4)
    np.testing.assert_array_equal(n2, ref_n)
    np.testing.assert_allclose(ppms2, ref_ppms)


def test_float32_cutoff_is_exact():
    # 0.3 * max is not representable in float32; a value just above/below it
    # must be classified exactly as the float64 comparison would.
    x = one_hot([[0, 1, 2, 3, 0, 1]])
    mx = np.float32(1.7)
    cut = 0.3 * np.float64(mx)
    below = np.float32(cut)
    if np.float64(below) > cut:
        below = np.nextafter(below, np.float32(-np.inf))
    above = np.nextafter(below, np.float32(np.inf))
    act = np.zeros((1, 6, 1), dtype=np.float32)
    act[0, 1, 0], act[0, 2, 0], act[0, 3, 0] = below, above, mx
    _, n = filter_ppms(x, act, 3, threshold=0.3)
    assert n[0] == int(np.float64(above) > cut) + 1


# ---------------------------------------------------------- information content


def test_information_content_known_values():
    assert information_content(np.full((7, 4), 0.25)) == pytest.approx(0.0)
    onehot = one_hot([0, 1, 2, 3, 3]).astype(float)
    assert information_content(onehot) == pytest.approx(10.0)
    np.testing.assert_allclose(position_information_content(onehot), 2.0)
    half = np.array([[0.5, 0.5, 0.0, 0.0]])
    assert information_content(half) == pytest.approx(1.0)
    stack = np.stack([np.full((5, 4), 0.25), onehot])
    np.testing.assert_allclose(information_content(stack), [0.0, 10.0])
    assert position_information_content(stack).shape == (2, 5)
    bg = np.array([0.1, 0.4, 0.4, 0.1])
    assert information_content(np.tile(bg, (3, 1)), background=bg) == pytest.approx(0.0)
    assert information_content(np.array([[1.0, 0, 0, 0]]), background=bg) == pytest.approx(np.log2(10))


# ------------------------------------------------------------------- matching


def test_benjamini_hochberg_known_answer():
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    np.testing.assert_allclose(benjamini_hochberg([[0.9, 0.9]]), [[0.9, 0.9]])


def embed(ppm, width, offset):
    out = np.full((width, 4), 0.25)
    out[offset:offset + len(ppm)] = ppm
    return out


def test_match_filters_labels_forward_and_reverse_complement():
    motifs = random_motifs(30, seed=11)
    names = [f"M{k}" for k in range(30)]
    width = 15
    filters = np.stack([
        embed(motifs[7], width, 3),               # motif 7, forward
        embed(revcomp(motifs[12]), width, 1),     # motif 12, reverse complement
        np.full((width, 4), 0.25),                # uniform
        np.random.default_rng(0).dirichlet(np.full(4, 60.0), size=width),   # near uniform
    ])
    n_sites = np.array([500, 500, 500, 500])
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # 30 targets: no memelite warning
        rows = match_filters(filters, motifs, names, n_sites=n_sites)

    assert [type(r) for r in rows] == [FilterMatch] * 4
    assert [r.filter for r in rows] == [0, 1, 2, 3]
    fwd, rev, uni, weak = rows
    assert fwd.label == "M7" and fwd.strand == "+" and fwd.offset == -3
    assert fwd.pvalue < 1e-6 and fwd.qvalue < 0.05 and fwd.overlap == len(motifs[7])
    assert fwd.evalue == pytest.approx(fwd.pvalue * 30)
    assert rev.label == "M12" and rev.strand == "-" and rev.offset == -1
    assert rev.pvalue < 1e-6
    assert uni.label is None and uni.information_content == pytest.approx(0.0)
    assert weak.label is None
    assert fwd.information_content == pytest.approx(information_content(motifs[7]))

    cols = matches_to_columns(rows)
    assert cols["label"] == ["M7", "M12", None, None]
    assert cols["n_sites"] == [500] * 4


def test_match_filters_quality_gates_and_thresholds():
    motifs = random_motifs(30, seed=11)
    names = [f"M{k}" for k in range(30)]
    good = embed(motifs[7], 15, 3)[None]
    few = match_filters(good, motifs, names, n_sites=[5])[0]
    assert few.label is None and few.best_motif == "M7"          # too few sites
    assert match_filters(good, motifs, names, n_sites=[5], min_sites=0)[0].label == "M7"
    assert match_filters(good, motifs, names)[0].label == "M7"   # n_sites unknown: gate off
    assert match_filters(good, motifs, names, min_information=100)[0].label is None
    strict = match_filters(good, motifs, names, pvalue_threshold=1e-300)[0]
    assert strict.label is None and strict.best_motif == "M7"


def test_background_calibrates_but_never_labels():
    motifs = random_motifs(30, seed=21)
    grammar, background = motifs[:5], motifs[5:]
    names = ["A", "B", "C", "D", "E"]
    filters = np.stack([embed(grammar[2], 14, 2), embed(background[4], 14, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = match_filters(filters, grammar, names, background_ppms=background)
    assert rows[0].label == "C"
    assert rows[0].evalue == pytest.approx(rows[0].pvalue * 30)
    assert rows[1].label is None and rows[1].best_motif in names
    # The same background motif is a hit when it is part of the motif set.
    full = tomtom_pvalues(filters, motifs)
    assert int(np.argmin(full["pvalue"][1])) == 9


def test_filter_coverage_hand_example():
    labels = ["A", None, "A", "C", "X", None]
    cov = filter_coverage(labels, ["A", "B", "C", "D"])
    assert cov["coverage"] == 0.5
    assert cov["fraction_filters_matched"] == pytest.approx(3 / 6)
    assert cov["matched_motifs"] == ["A", "C"]
    assert cov["missing_motifs"] == ["B", "D"]
    assert cov["filters_per_motif"] == {"A": 2, "B": 0, "C": 1, "D": 0}


def test_jaspar_ppms_offline_and_cached():
    names, ppms = jaspar_ppms()
    assert len(names) == len(ppms) > 500
    assert "CEBPB" in names
    for p in ppms[:50]:
        assert p.ndim == 2 and p.shape[1] == 4
        np.testing.assert_allclose(p.sum(axis=1), 1)
    ids, ppms2 = jaspar_ppms(with_ids=True)
    assert ids[names.index("CEBPB")].endswith(" CEBPB") and ids[0].startswith("MA")
    assert ppms2[0] is ppms[0]                     # the database is read once


# ------------------------------------------------------------------ bad inputs


def test_bad_inputs_raise_input_error():
    x = one_hot(np.zeros((2, 10), dtype=int))
    act = np.zeros((2, 10, 3))
    with pytest.raises(InputError, match="one-hot"):
        filter_ppms(x[..., :3], act, 3)
    soft = x.astype(float)
    soft[1, 4] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="not one-hot at sequence 1, position 4"):
        filter_ppms(soft, act, 3)
    with pytest.raises(InputError, match="not one-hot"):
        filter_ppms(np.zeros((2, 10, 4)), act, 3)
    with pytest.raises(InputError, match="activations"):
        filter_ppms(x, act[:, :9], 3)
    bad = act.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        filter_ppms(x, bad, 3)
    with pytest.raises(InputError, match="shorter than filter_width"):
        filter_ppms(x, act, 11)
    with pytest.raises(InputError, match="threshold"):
        filter_ppms(x, act, 3, threshold=1.5)
    with pytest.raises(InputError, match="max_activation"):
        filter_ppms(x, act, 3, max_activation=[1.0, 2.0])
    with pytest.raises(InputError, match="filter_width"):
        FilterPPMAccumulator([1.0, 1.0, 1.0], 0)
    with pytest.raises(InputError, match="filters"):
        FilterPPMAccumulator([1.0, 1.0], 3).update(x, act)
    with pytest.raises(InputError, match="sum to 1"):
        information_content(np.full((3, 4), 0.3))
    with pytest.raises(InputError, match="background"):
        information_content(np.full((3, 4), 0.25), background=[0.5, 0.5, 0, 0])
    with pytest.raises(InputError):
        information_content(np.full((3, 5), 0.2))

    motifs = random_motifs(3, seed=1)
    f = np.full((1, 8, 4), 0.25)
    with pytest.raises(InputError, match="motif_names"):
        match_filters(f, motifs, ["a", "b"])
    with pytest.raises(InputError, match="filter_ppms"):
        match_filters(f[0], motifs, ["a", "b", "c"])
    with pytest.raises(InputError, match="n_sites"):
        match_filters(f, motifs, ["a", "b", "c"], n_sites=[1, 2])
    with pytest.raises(InputError, match="qvalue_threshold"):
        match_filters(f, motifs, ["a", "b", "c"], qvalue_threshold=-1)
    with pytest.raises(InputError, match="motif_ppms"):
        match_filters(f, [np.full((4, 3), 1 / 3)], ["a"])
    with pytest.raises(InputError, match="duplicates"):
        filter_coverage(["a"], ["a", "a"])
    with pytest.raises(InputError, match="labels"):
        filter_coverage([1], ["a"])
    with pytest.raises(InputError):
        benjamini_hochberg([0.5, 1.5])
    with pytest.raises(InputError, match="release"):
        jaspar_ppms(release="JASPAR1999")
