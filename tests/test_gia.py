"""Global importance analysis: a hand-set model whose outputs are known functions of motif detectors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import simulate
from analysis.gia import global_importance
from simulate.errors import InputError
from simulate.grammar import grammar_from_dict

# four non-palindromic 8-mers; an exact match is what each detector fires on
CONSENSUS = {"A": "ACGTTGCA", "B": "TTGGCCAA", "C": "GATTACAG", "D": "CCATGGTA"}
LENGTH = 80


def _ppm(seq):
    return simulate.encode(seq).astype(float).tolist()


def hand_set_model():
    """Outputs (sigmoid of) four logits: tasks A and B = AND(A, B), tasks C and D = C + D (additive).

    Each detector is a width-8 convolution with the motif's one-hot weights and bias -7.5,
    a ReLU and a global max: 0.5 on an exact match anywhere, 0 otherwise. Logits:
    AND = 8 dA dB - 1 (-1, or 1 with both), ADD = 4 (dC + dD) - 1 (-1, 1, 3).
    Expected epistasis: A-B on tasks A, B: 1 - (-1) - (-1) + (-1) = 2; C-D on tasks C, D: 3 - 1 - 1 - 1 = 0.
    """
    import keras

    inputs = keras.Input((LENGTH, 4), name="sequence")
    detectors = {}
    for name, seq in CONSENSUS.items():
        conv = keras.layers.Conv1D(1, 8, activation="relu", name=f"detect_{name}")
        hit = keras.layers.GlobalMaxPooling1D(name=f"max_{name}")(conv(inputs))
        conv.set_weights([simulate.encode(seq).astype("float32")[:, :, None], np.array([-7.5], "float32")])
        detectors[name] = hit
    both = keras.layers.Multiply(name="and_ab")([detectors["A"], detectors["B"]])
    and_logit = keras.layers.Dense(2, name="and_logit")
    z_and = and_logit(both)
    and_logit.set_weights([np.full((1, 2), 8.0, "float32"), np.full(2, -1.0, "float32")])
    add_logit = keras.layers.Dense(2, name="add_logit")
    z_add = add_logit(keras.layers.Concatenate(name="cd")([detectors["C"], detectors["D"]]))
    add_logit.set_weights([np.full((2, 2), 4.0, "float32"), np.full(2, -1.0, "float32")])
    outputs = keras.layers.Activation("sigmoid", name="output")(keras.layers.Concatenate()([z_and, z_add]))
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def model():
    return hand_set_model()


def test_gia_finds_the_and_unit_and_not_the_additive_pair(model):
    rng = np.random.default_rng(0)
    backgrounds = simulate.one_hot(rng.integers(0, 4, size=(40, LENGTH)))
    motifs = {name: _ppm(seq) for name, seq in CONSENSUS.items()}
    result = global_importance(lambda x: model.predict_on_batch(x), backgrounds, motifs, task_names=list("ABCD"),
                               batch_size=300)
    pair = {frozenset(p): k for k, p in enumerate(result.pairs)}
    ab, cd = pair[frozenset("AB")], pair[frozenset("CD")]
    np.testing.assert_allclose(result.mean[ab, :2], 2.0, atol=1e-4)   # AND: positive epistasis
    np.testing.assert_allclose(result.mean[ab, 2:], 0.0, atol=1e-4)
    np.testing.assert_allclose(result.mean[cd], 0.0, atol=1e-4)        # additive: none
    assert np.all(result.sd[ab] < 1e-3)                                # exact for every background
    # single effects: A alone moves nothing (AND needs B); C alone adds 2 to tasks C and D
    a, c = result.motif_names.index("A"), result.motif_names.index("C")
    np.testing.assert_allclose(result.single_effect[a], 0.0, atol=1e-4)
    np.testing.assert_allclose(result.single_effect[c], [0, 0, 2, 2], atol=1e-4)
    scores = result.pair_scores()
    assert np.argmax(scores) == ab and scores[cd] < 1e-3
    # 6 pairs x 3 distances x 2 orders, 40 backgrounds each, plus the singles and the backgrounds
    assert list(result.n_samples) == [40 * 6] * 6
    assert result.n_predictions == 40 * (1 + 6 * 6 + 4 * 6)


def test_sampled_instances_of_a_consensus_ppm_give_the_same_answer(model):
    backgrounds = simulate.one_hot(np.random.default_rng(1).integers(0, 4, size=(20, LENGTH)))
    motifs = {name: _ppm(seq) for name, seq in CONSENSUS.items()}
    predict = model.predict_on_batch
    consensus = global_importance(predict, backgrounds, motifs, pairs=[("A", "B")], distances=[30])
    sampled = global_importance(predict, backgrounds, motifs, pairs=[("A", "B")], distances=[30],
                                instances="sampled", random_state=0)
    np.testing.assert_allclose(consensus.mean, sampled.mean, atol=1e-5)


def test_gia_rejects_bad_input(model):
    backgrounds = simulate.one_hot(np.zeros((3, LENGTH), int))
    motifs = {name: _ppm(seq) for name, seq in CONSENSUS.items()}
    for kwargs, message in (({"pairs": [("A", "Z")]}, "two different motifs"),
                            ({"instances": "best"}, "instances"),
                            ({"task_names": ["x"]}, "task names")):
        with pytest.raises(InputError, match=message):
            global_importance(model.predict_on_batch, backgrounds, motifs, **kwargs)
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        global_importance(model.predict_on_batch, np.zeros((3, LENGTH)), motifs)


# ---------------------------------------------------------------- command line

@pytest.fixture(scope="module")
def gia_run(tmp_path_factory, model):
    """A complete run directory holding the hand-set model, on a dataset of its four motifs with
    A-B an AND pair and C-D a decoy."""
    root = tmp_path_factory.mktemp("gia")
    grammar = grammar_from_dict({"motifs": [{"name": n, "ppm": _ppm(s)} for n, s in CONSENSUS.items()],
                                 "interactions": [{"motifs": ["A", "B"], "logic": "and"}],
                                 "decoys": [{"motifs": ["C", "D"]}], "instances": [1, 3]})
    data = simulate.make_dataset(root / "data.h5", n=300, seed=0, length=LENGTH, grammar=grammar)
    run_dir = root / "run"
    run_dir.mkdir()
    model.save(run_dir / "model.keras")
    (run_dir / "config.json").write_text(json.dumps({"data": {"path": str(data)}, "model": "hand-set"}))
    (run_dir / "metrics.json").write_text(json.dumps({"status": "complete"}))
    return root, run_dir


def glifac_cli(*args):
    return subprocess.run([sys.executable, "-m", "glifac", *args], capture_output=True, text=True, timeout=600)


def test_gia_command_ranks_the_interacting_pair_first_and_scores_it_against_decoys(gia_run):
    root, run_dir = gia_run
    out = root / "gia"
    result = glifac_cli("gia", "--run", str(run_dir), "--n-backgrounds", "30", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "gia.json").read_text())
    assert summary["scores"]["motif_auroc"] == 1.0 and summary["scores"]["motif_auroc_vs_decoys"] == 1.0
    assert summary["provenance"]["n_backgrounds"] == 30 and summary["versions"]["glifac"]
    ranked = [line.split("\t") for line in (out / "pairs.tsv").read_text().splitlines()]
    header = ranked[0]
    first = dict(zip(header, ranked[1]))
    assert {first["motif_a"], first["motif_b"]} == {"A", "B"} and first["is_true"] == "True"
    table = (out / "gia.tsv").read_text().splitlines()
    assert len(table) == 1 + 6 * 4  # pairs x tasks, one header
    assert "A\tB" in result.stdout or "B\tA" in result.stdout or "A-B" in result.stdout


@pytest.mark.parametrize("args, needle", [
    (["--n-backgrounds", "0"], "--n-backgrounds"),
    (["--motifs", "filters"], "maps.h5"),
    (["--distances", "500"], "fit"),
])
def test_gia_bad_input_exits_2_with_one_line(gia_run, tmp_path, args, needle):
    _, run_dir = gia_run
    result = glifac_cli("gia", "--run", str(run_dir), "--out", str(tmp_path / "out"), "--quiet", *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_gia_refuses_a_missing_run(tmp_path):
    result = glifac_cli("gia", "--run", str(tmp_path / "nope"), "--quiet")
    assert result.returncode == 2 and "not found" in result.stderr


def test_gia_on_the_models_own_filters_from_maps_h5(gia_run, tmp_path):
    """--motifs filters: the labelled filters of a maps.h5 (here four filters carrying the four
    consensus motifs inside uninformative flanks, which are trimmed) stand in for the grammar."""
    import h5py

    _, run_dir = gia_run
    flank = np.full((5, 4), 0.25)
    ppms = np.stack([np.concatenate([flank, np.asarray(_ppm(s)), flank]) for s in CONSENSUS.values()])
    maps = tmp_path / "maps.h5"
    with h5py.File(maps, "w") as f:
        f["filter_ppms"] = ppms
        f["filter_labels"] = np.array(list(CONSENSUS), dtype=h5py.string_dtype())
        f["thresholds"] = np.array([0.1])
        f["threshold_labels"] = np.array(["0.1"], dtype=h5py.string_dtype())
        f.attrs["provenance"] = "{}"
    out = tmp_path / "gia"
    result = glifac_cli("gia", "--run", str(run_dir), "--motifs", "filters", "--maps", str(maps),
                        "--n-backgrounds", "20", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "gia.json").read_text())
    assert [m["width"] for m in summary["motifs"]] == [8, 8, 8, 8]  # flanks trimmed to the motif
    assert summary["motifs"][0]["source"] == "filter 0" and summary["scores"]["motif_auroc"] == 1.0
