"""Simulator: label rules, placement rules, PPM sampling, determinism, file I/O, CLI errors."""
from __future__ import annotations

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
from scipy import stats

import simulate
from simulate import decode
from simulate.generate import labels_from_presence, simulate_sequences, split_indices
from simulate.grammar import grammar_from_dict

BASES = "ACGT"


def toy_grammar(interactions=(), **sampling):
    """Three explicit motifs; non-palindromic consensus so strands are distinguishable."""
    def consensus(seq):
        return [[1.0 if b == base else 0.0 for base in BASES] for b in seq]

    spec = {
        "motifs": [
            {"name": "A", "ppm": consensus("AAACGG")},
            {"name": "B", "ppm": consensus("TTGCAT")},
            {"name": "C", "ppm": consensus("GACCTA")},
        ],
        "interactions": [{"motifs": list(pair), "logic": logic} for pair, logic in interactions],
        **sampling,
    }
    return grammar_from_dict(spec)


def revcomp(seq):
    return seq[::-1].translate(str.maketrans("ACGT", "TGCA"))


# ---------------------------------------------------------------- label rules

def test_independent_label_is_presence():
    g = toy_grammar()
    presence = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 0]], dtype=bool)
    assert np.array_equal(labels_from_presence(presence, g), presence.astype(np.uint8))


def test_and_labels_need_both_motifs():
    g = toy_grammar(interactions=[(("A", "B"), "and")])
    presence = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]], dtype=bool)
    expected = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 1]])
    assert np.array_equal(labels_from_presence(presence, g), expected)


def test_xor_labels_need_exactly_one_motif():
    g = toy_grammar(interactions=[(("A", "C"), "xor")])
    presence = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1], [0, 1, 0]], dtype=bool)
    expected = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]])
    assert np.array_equal(labels_from_presence(presence, g), expected)


def test_labels_match_placements_in_simulated_data():
    g = simulate.load_grammar()
    sim = simulate_sequences(g, 5000, seed=3)
    presence = np.zeros_like(sim.y, dtype=bool)
    presence[sim.placements[:, 0], sim.placements[:, 1]] = True
    assert np.array_equal(sim.y, labels_from_presence(presence, g))


# ---------------------------------------------------------------- placements

@pytest.fixture(scope="module")
def paper_sim():
    return simulate_sequences(simulate.load_grammar(), 20000, length=200, seed=11)


def test_placement_rules_hold_on_a_large_sample(paper_sim):
    g = simulate.load_grammar()
    widths = np.array([m.width for m in g.motifs])
    p = paper_sim.placements.astype(np.int64)
    seq, motif, start, strand = p.T
    end = start + widths[motif]  # exclusive
    assert set(np.unique(strand)) == {0, 1}
    assert start.min() >= 1 and end.max() <= 200 - 1  # >= 1 nt from either end
    same_seq = seq[1:] == seq[:-1]
    assert np.all(np.diff(seq) >= 0)
    # sorted by start within a sequence, at least 1 nt between consecutive instances
    assert np.all(start[1:][same_seq] - end[:-1][same_seq] >= 1)
    per_seq = np.bincount(seq, minlength=len(paper_sim.x))
    assert per_seq.min() == 1 and per_seq.max() == 5


def _gaps_by_instance_count(sim, grammar, length=200):
    """{K: (extra gaps (n_K, K + 1), slack (n_K,))}: background bases beyond ``min_gap``
    before, between and after the K instances of every K-instance sequence."""
    widths = np.array([m.width for m in grammar.motifs])
    gap = grammar.sampling["min_gap"]
    p = sim.placements.astype(np.int64)  # sorted by sequence, then start
    per_seq = np.bincount(p[:, 0], minlength=len(sim.x))
    out = {}
    for k in np.unique(per_seq):
        rows = p[np.isin(p[:, 0], np.flatnonzero(per_seq == k))].reshape(-1, k, 4)
        start, end = rows[:, :, 2], rows[:, :, 2] + widths[rows[:, :, 1]]
        edges = np.concatenate([np.zeros((len(rows), 1), int), end], axis=1)
        stops = np.concatenate([start, np.full((len(rows), 1), length)], axis=1)
        extra = stops - edges - gap
        out[int(k)] = (extra, extra.sum(axis=1))
    return out


def test_single_instance_left_and_right_gaps_share_one_uniform_distribution(paper_sim):
    """K = 1: the one cut point is uniform on 0..S, so the left gap is too, and left and right
    gaps have the same distribution (the old generator: 31.7 nt left against 154.0 right)."""
    extra, slack = _gaps_by_instance_count(paper_sim, simulate.load_grammar())[1]
    left, right = extra[:, 0], extra[:, 1]
    jitter = np.random.default_rng(0).random(len(left))
    # (cut + U) / (S + 1) is exactly Uniform(0, 1) when the cut is uniform on 0..S
    assert stats.kstest((left + jitter) / (slack + 1), "uniform").pvalue > 1e-3
    assert stats.kstest((right + jitter) / (slack + 1), "uniform").pvalue > 1e-3
    diff = left - right
    assert abs(diff.mean()) < 4 * diff.std() / np.sqrt(len(diff))


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_every_gap_has_the_same_mean_for_each_instance_count(paper_sim, k):
    """A uniform composition of S into K + 1 gaps gives each gap mean S / (K + 1):
    the fraction of the slack in each gap averages 1 / (K + 1), first and last gap included."""
    extra, slack = _gaps_by_instance_count(paper_sim, simulate.load_grammar())[k]
    share = extra / slack[:, None]
    se = share.std(axis=0) / np.sqrt(len(share))
    assert np.all(np.abs(share.mean(axis=0) - 1 / (k + 1)) < 4 * se), share.mean(axis=0)


def test_every_composition_is_equally_likely():
    """Exhaustive check on a case small enough to enumerate: 2 instances, slack 3 ->
    C(3 + 2, 2) = 10 compositions (g0, g1, g2), each with probability 1/10."""
    spec = {"motifs": [{"name": "M", "ppm": [[1, 0, 0, 0]] * 4}], "instances": [2, 2], "min_gap": 0}
    g = grammar_from_dict(spec)
    sim = simulate_sequences(g, 20000, length=11, seed=2)  # 11 - 2 * 4 = slack 3
    extra, _ = _gaps_by_instance_count(sim, g, length=11)[2]
    codes = extra[:, 0] * 16 + extra[:, 1] * 4 + extra[:, 2]
    observed = np.unique(codes, return_counts=True)[1]
    assert len(observed) == 10
    assert stats.chisquare(observed).pvalue > 1e-3


def test_motif_centres_are_symmetric_about_the_middle(paper_sim):
    """Mirrored centres (L - centre) have the same distribution as the centres;
    the old generator put 64% of them in the left half."""
    widths = np.array([m.width for m in simulate.load_grammar().motifs])
    p = paper_sim.placements
    centre = p[:, 2] + widths[p[:, 1]] / 2
    left_share = np.mean(centre < 100)
    assert abs(left_share - 0.5) < 4 * np.sqrt(0.25 / len(centre))
    assert stats.ks_2samp(centre, 200 - centre).pvalue > 1e-3


def test_instances_follow_strand_and_reverse_complement():
    g = toy_grammar()
    sim = simulate_sequences(g, 2000, length=60, seed=5)
    seqs = decode(sim.x)
    consensus = {0: "AAACGG", 1: "TTGCAT", 2: "GACCTA"}
    n_reverse = 0
    for seq, motif, start, strand in sim.placements:
        site = seqs[seq][start : start + 6]
        expected = consensus[motif] if strand == 0 else revcomp(consensus[motif])
        assert site == expected
        n_reverse += strand
    assert 0.45 < n_reverse / len(sim.placements) < 0.55


def test_ppm_sampling_frequencies_match_the_ppm():
    rng = np.random.default_rng(0)
    ppm = rng.dirichlet(np.ones(4), size=8)
    g = grammar_from_dict({"motifs": [{"name": "M", "ppm": ppm.tolist()}]})
    sim = simulate_sequences(g, 40000, length=60, seed=1)
    x = sim.x.argmax(-1)
    counts = np.zeros((8, 4))
    for strand in (0, 1):
        rows = sim.placements[sim.placements[:, 3] == strand]
        window = x[rows[:, 0][:, None], rows[:, 2][:, None] + np.arange(8)]
        if strand == 1:  # read the motif's own strand: reverse and complement
            window = 3 - window[:, ::-1]
        counts += np.stack([(window == b).sum(0) for b in range(4)], axis=1)
    n = counts.sum(axis=1, keepdims=True)
    chi2 = ((counts - n * ppm) ** 2 / (n * ppm)).sum()
    assert stats.chi2.sf(chi2, df=8 * 3) > 1e-3


def test_background_is_uniform_outside_instances(paper_sim):
    x = paper_sim.x.argmax(-1)
    mask = np.ones(x.shape, dtype=bool)
    g = simulate.load_grammar()
    widths = np.array([m.width for m in g.motifs])
    for seq, motif, start, _ in paper_sim.placements:
        mask[seq, start : start + widths[motif]] = False
    counts = np.bincount(x[mask], minlength=4)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_default_grammar_positive_rates_are_in_range(paper_sim):
    rates = paper_sim.y.mean(axis=0)
    assert rates.min() >= 0.08 and rates.max() <= 0.25, rates


def test_one_hot_has_exactly_one_base_per_position(paper_sim):
    assert paper_sim.x.dtype == np.uint8 and paper_sim.x.shape == (20000, 200, 4)
    assert np.all(paper_sim.x.sum(-1) == 1)


# ---------------------------------------------------------------- determinism and splits

def test_same_seed_same_arrays_different_seed_differs():
    g = simulate.load_grammar()
    a = simulate.simulate_splits(g, 3000, seed=7)
    b = simulate.simulate_splits(g, 3000, seed=7)
    c = simulate.simulate_splits(g, 3000, seed=8)
    for name in simulate.SPLIT_NAMES:
        assert np.array_equal(a[name].x, b[name].x)
        assert np.array_equal(a[name].placements, b[name].placements)
    assert not np.array_equal(a["train"].x, c["train"].x)


def test_split_is_70_10_20_and_a_partition():
    idx = split_indices(1000, seed=0)
    assert [len(idx[k]) for k in ("train", "valid", "test")] == [700, 100, 200]
    assert sorted(np.concatenate(list(idx.values()))) == list(range(1000))
    assert not np.array_equal(idx["train"], np.sort(idx["train"]))  # shuffled


# ---------------------------------------------------------------- file round trip

def test_file_round_trip(tmp_path):
    g = simulate.load_grammar()
    path = simulate.make_dataset(tmp_path / "d.h5", n=2000, seed=4)
    ds = simulate.load(path)
    fresh = simulate.simulate_splits(g, 2000, seed=4)
    for name in simulate.SPLIT_NAMES:
        assert np.array_equal(getattr(ds, f"x_{name}"), fresh[name].x)
        assert np.array_equal(getattr(ds, f"y_{name}"), fresh[name].y)
        assert np.array_equal(getattr(ds, f"placements_{name}"), fresh[name].placements)
        placements = getattr(ds, f"placements_{name}")
        assert placements[:, 0].max() < len(getattr(ds, f"x_{name}"))
    assert ds.task_names == g.motif_names
    assert ds.seed == 4 and ds.length == 200
    assert ds.grammar.interaction_pairs() == g.interaction_pairs()
    for stored, original in zip(ds.grammar.motifs, g.motifs):
        assert stored.source == original.source
        np.testing.assert_allclose(stored.ppm, original.ppm, atol=1e-5)
    with h5py.File(path) as f:
        assert f["x_train"].dtype == np.uint8 and f["x_train"].compression == "gzip"
        assert f.attrs["format_version"] == simulate.FORMAT_VERSION
        assert f.attrs["generator_version"] == simulate.GENERATOR_VERSION
        resolved = json.loads(f.attrs["grammar"])
        assert resolved["motifs"][0]["source"] == "JASPAR2020:MA0466.2"
    assert ds.generator_version == simulate.GENERATOR_VERSION


def test_load_only_requested_splits(tmp_path):
    path = simulate.make_dataset(tmp_path / "d.h5", n=500, seed=0)
    ds = simulate.load(path, splits=("test",))
    assert ds.x_test.shape == (100, 200, 4)
    with pytest.raises(AttributeError):
        ds.x_train


def test_load_rejects_files_outside_the_schema(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x_train"] = np.zeros((3, 10))
    with pytest.raises(simulate.InputError, match="not a glifac dataset"):
        simulate.load(tmp_path / "other.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(simulate.InputError, match="not an HDF5 file"):
        simulate.load(tmp_path / "text.h5")
    with pytest.raises(simulate.InputError, match="not found"):
        simulate.load(tmp_path / "missing.h5")


def test_paper_grammar_matches_the_paper():
    """The default grammar is Appendix A of Ghotra, Lee & Koo (2021): these twelve JASPAR2020
    matrices, two AND pairs and two XOR pairs. Written out here, once, as the expected value."""
    g = simulate.load_grammar()
    appendix_a = {
        "CEBPB": "MA0466.2", "ELF1": "MA0473.3", "ESR1": "MA0112.3", "FOXN3": "MA1489.1",
        "GATA1": "MA0035.4", "IRF1": "MA0050.2", "NFIB": "MA1643.1", "SIX3": "MA0631.1",
        "SP1": "MA0079.4", "TAL1": "MA0091.1", "TEAD1": "MA0090.3", "YY1": "MA0095.2",
    }
    assert {m.name: m.source for m in g.motifs} == {k: f"JASPAR2020:{v}" for k, v in appendix_a.items()}
    pairs = {(frozenset(i.motifs), i.logic) for i in g.interactions}
    assert pairs == {
        (frozenset({"ELF1", "SIX3"}), "and"), (frozenset({"TAL1", "GATA1"}), "and"),
        (frozenset({"ESR1", "FOXN3"}), "xor"), (frozenset({"IRF1", "SP1"}), "xor"),
    }
    assert all(np.allclose(m.ppm.sum(1), 1) for m in g.motifs)


# ---------------------------------------------------------------- command line

def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "simulate", *args], capture_output=True, text=True, cwd=cwd
    )


def test_cli_writes_file_and_prints_rates(tmp_path):
    out = tmp_path / "sim.h5"
    result = run_cli("--n", "1000", "--seed", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout and "ELF1" in result.stdout and "done in" in result.stdout
    assert simulate.load(out).x_train.shape == (700, 200, 4)


def test_simulate_never_imports_tensorflow(tmp_path):
    code = (
        "import sys, simulate, simulate.cli;"
        f"simulate.cli.main(['--n', '50', '--out', r'{tmp_path / 'a.h5'}', '--quiet']);"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'tf imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _write(path, text):
    path.write_text(text)
    return str(path)


BAD_GRAMMARS = {
    "malformed": ("{not json", "not valid JSON"),
    "unknown_id": ('{"motifs": [{"name": "X", "jaspar_id": "MA9999.9"}]}', "MA9999.9"),
    "unknown_motif": (
        '{"motifs": [{"name": "X", "ppm": [[1,0,0,0]]}], '
        '"interactions": [{"motifs": ["X", "Y"], "logic": "and"}]}',
        "motif Y",
    ),
    "bad_ppm": ('{"motifs": [{"name": "X", "ppm": [[0.5,0.5,0.5,0]]}]}', "sum to 1"),
    "bad_background": (
        '{"motifs": [{"name": "X", "ppm": [[1,0,0,0]]}], "background": ["a", "c", "g", "t"]}',
        "background",
    ),
    "null_interactions": ('{"motifs": [{"name": "X", "ppm": [[1,0,0,0]]}], "interactions": null}', "list"),
    "bad_logic": (
        '{"motifs": [{"name": "X", "ppm": [[1,0,0,0]]}, {"name": "Y", "ppm": [[1,0,0,0]]}], '
        '"interactions": [{"motifs": ["X", "Y"], "logic": "nand"}]}',
        "logic",
    ),
}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--n", "0"], "--n"),
        (["--n", "-5"], "--n"),
        (["--n", "abc"], "--n"),
        (["--n", "10", "--length", "60"], "too short"),
        (["--n", "5"], "at least 10"),
        (["--n", "50", "--seed", "-1"], "--seed"),
        (["--n", "10", "--grammar", "missing.json"], "not found"),
    ]
    + [(["--n", "10", "--grammar", f"@{name}"], msg) for name, (_, msg) in BAD_GRAMMARS.items()],
)
def test_cli_bad_input_exits_2_with_one_line_and_no_file(tmp_path, args, message):
    args = [
        _write(tmp_path / "g.json", BAD_GRAMMARS[a[1:]][0]) if a.startswith("@") else a for a in args
    ]
    out = tmp_path / "out.h5"
    result = run_cli(*args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["g.json"])


def test_cli_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "out.h5"
    out.write_bytes(b"precious")
    result = run_cli("--n", "10", "--out", str(out))
    assert result.returncode == 2 and "--force" in result.stderr
    assert out.read_bytes() == b"precious"
    result = run_cli("--n", "10", "--out", str(out), "--force", "--quiet")
    assert result.returncode == 0 and simulate.load(out).n_tasks == 12


def test_shipped_grammars_load_by_name():
    from simulate.grammar import shipped_grammars

    assert "paper" in shipped_grammars()
    assert simulate.load_grammar("paper").to_dict() == simulate.load_grammar().to_dict()
    with pytest.raises(simulate.InputError, match="shipped grammars: .*paper"):
        simulate.load_grammar("no-such-grammar")


# ---------------------------------------------------------------- decoy pairs

def _presence(sim, n_motifs):
    presence = np.zeros((len(sim.x), n_motifs), dtype=bool)
    presence[sim.placements[:, 0], sim.placements[:, 1]] = True
    return presence


def test_decoy_pairs_co_occur_like_true_pairs_but_are_labelled_independently():
    """paper-decoys: the six seeded pairs (4 true, 2 decoys) share one presence correlation
    (about 0.31 each, against at most 0.05 for unseeded pairs), and a decoy motif's label is its presence."""
    g = simulate.load_grammar("paper-decoys")
    assert g.decoys == (("CEBPB", "NFIB"), ("TEAD1", "YY1"))
    sim = simulate_sequences(g, 30000, seed=5)
    presence = _presence(sim, len(g.motifs))
    corr = np.corrcoef(presence.T.astype(float))
    index = {name: k for k, name in enumerate(g.motif_names)}
    seeded = {frozenset(pair) for pair in g.seeded_pairs()}
    r_true = [corr[index[a], index[b]] for a, b, _ in g.interaction_pairs()]
    r_decoy = [corr[index[a], index[b]] for a, b in g.decoys]
    # sd of a correlation estimate from 30k sequences is about 0.006
    assert abs(np.mean(r_decoy) - np.mean(r_true)) < 0.02 and max(r_true + r_decoy) - min(r_true + r_decoy) < 0.05
    others = [corr[i, j] for i in range(12) for j in range(i + 1, 12)
              if frozenset((g.motif_names[i], g.motif_names[j])) not in seeded]
    assert max(others) < 0.1 < min(r_true + r_decoy)
    for pair in g.decoys:
        for name in pair:
            np.testing.assert_array_equal(sim.y[:, index[name]], presence[:, index[name]])
    np.testing.assert_array_equal(sim.y, labels_from_presence(presence, g))


def test_decoys_dilute_each_pair_seeding_evenly():
    """With 4 interactions and 2 decoys, each of the 6 pairs seeds 1/6 of the seeded half."""
    g = simulate.load_grammar("paper-decoys")
    sim = simulate_sequences(g, 30000, seed=6)
    presence = _presence(sim, len(g.motifs))
    index = {name: k for k, name in enumerate(g.motif_names)}
    both = [np.mean(presence[:, index[a]] & presence[:, index[b]]) for a, b in g.seeded_pairs()]
    assert max(both) - min(both) < 0.012  # binomial sd of each rate is about 0.002


def test_grammar_rejects_bad_decoys(tmp_path):
    base = {"motifs": [{"name": n, "ppm": [[1, 0, 0, 0]] * 4} for n in "ABCD"],
            "interactions": [{"motifs": ["A", "B"], "logic": "and"}]}
    for decoys, message in (([{"motifs": ["A", "C"]}], "more than one"), ([{"motifs": ["C", "Z"]}], "not in"),
                            ([{"motifs": ["C", "C"]}], "itself"), ({"motifs": ["C", "D"]}, "must be a list")):
        with pytest.raises(simulate.InputError, match=message):
            grammar_from_dict({**base, "decoys": decoys})
    loop = tmp_path / "loop.json"
    loop.write_text(json.dumps({"extends": "loop.json"}))
    with pytest.raises(simulate.InputError, match="circle"):
        simulate.load_grammar(loop)
    child = tmp_path / "child.json"
    child.write_text(json.dumps({"extends": "paper", "pair_probability": 0.25}))
    assert simulate.load_grammar(child).sampling["pair_probability"] == 0.25
    assert simulate.load_grammar(child).motif_names == simulate.load_grammar().motif_names
