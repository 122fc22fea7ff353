"""Interpretation pipeline: threshold parsing, analysis on hand-made arrays, CLI end to end, bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import simulate
from glifac.interpretation import InterpretConfig, read_maps
from glifac.interpretation.config import null_quantiles, parse_thresholds
from glifac.interpretation.pipeline import interpret_arrays
from simulate.errors import InputError
from simulate.grammar import grammar_from_dict


def analyse(features, attention, null_attention, ppms, n_sites, grammar, thresholds: str, out) -> dict:
    """Interpret hand-made arrays into ``out`` (no model) and return the summary."""
    provenance = {"run": "r", "data": "d", "model": "m", "n_sequences": len(features), "seed": 0}
    return interpret_arrays(out, features, attention, null_attention, ppms, n_sites, grammar,
                            InterpretConfig(thresholds=thresholds), provenance)


# ---------------------------------------------------------------- thresholds

def test_parse_thresholds_ranges_values_and_null_quantiles():
    items = parse_thresholds("0.0:0.9:0.1")
    assert [v for v, _ in items] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    assert parse_thresholds("0.25,q95") == [(0.25, "0.25"), (None, "q95")]


@pytest.mark.parametrize("text", ["1.5", "-0.1", "0:2:0.5", "abc", "0.5:0.1:0.1", ""])
def test_parse_thresholds_rejects_bad_values(text):
    with pytest.raises(InputError):
        parse_thresholds(text)


def test_null_quantiles_ignore_the_diagonal():
    attention = np.zeros((10, 4, 4))
    off = ~np.eye(4, dtype=bool)
    attention[:, off] = np.linspace(0, 1, 120).reshape(10, 12)
    attention[:, np.arange(4), np.arange(4)] = 5.0  # would dominate if counted
    q = null_quantiles(attention)
    assert q["q90"] == pytest.approx(0.9, abs=0.01) and q["q99"] == pytest.approx(0.99, abs=0.01)


# ---------------------------------------------------------------- analysis on planted arrays

def _toy_grammar():
    rng = np.random.default_rng(0)

    def motif(name):
        # strong, distinct 10-nt motifs so each filter matches exactly one of them
        consensus = rng.integers(0, 4, 10)
        ppm = np.full((10, 4), 0.02)
        ppm[np.arange(10), consensus] = 0.94
        return {"name": name, "ppm": ppm.tolist()}

    return grammar_from_dict({
        "motifs": [motif(n) for n in ("A", "B", "C", "D")],
        "interactions": [{"motifs": ["A", "B"], "logic": "and"}],
    })


def _planted(n_filters: int, key_filters: dict, n: int = 300, length: int = 12):
    """Random features with one attended pair (q, k) per sequence (attention 0.9, else 0.01):
    filter 0 carries a signal at q, each filter f of ``key_filters`` the signal plus noise of
    sd ``key_filters[f]`` at k. Returns (features, attention)."""
    rng = np.random.default_rng(1)
    features = rng.random((n, length, n_filters)).astype(np.float32)
    attention = np.full((n, length, length), 0.01, dtype=np.float32)
    q, k = rng.integers(0, length, n), rng.integers(0, length, n)
    k = np.where(k == q, (k + 1) % length, k)
    attention[np.arange(n), q, k] = 0.9
    attention[:, np.arange(length), np.arange(length)] = 0
    signal = rng.random(n) * 5
    features[np.arange(n), q, 0] = signal
    for f, noise in key_filters.items():
        features[np.arange(n), k, f] = signal + rng.normal(0, noise, n) if noise else signal
    return features, attention


def _grammar_ppms(grammar, extra: int = 0):
    """The grammar's PPMs plus ``extra`` uniform ones, padded to width 19."""
    ppms = np.stack([np.asarray(m.ppm) for m in grammar.motifs] + [np.full((10, 4), 0.25)] * extra)
    return np.concatenate([ppms, np.full((len(ppms), 9, 4), 0.25)], axis=1)


def test_analyse_recovers_a_planted_interaction(tmp_path):
    """Filters 0-3 carry motifs A-D; filter 0 at attended query positions predicts filter 1 at keys."""
    grammar = _toy_grammar()
    features, attention = _planted(4, {1: 0.1})
    n = len(features)
    null = np.full_like(attention, 0.05)
    summary = analyse(features, attention, null, _grammar_ppms(grammar), np.full(4, 500), grammar,
                      "0.0,0.5", tmp_path)
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert summary["scored"] and scores["filters"]["coverage"] == 1.0
    at_half = scores["glifac"][1]
    assert at_half["threshold"] == 0.5 and at_half["n_pairs"] == n
    assert at_half["auroc"] == 1.0 and at_half["n_pos"] == 1
    header, first = [line.split("\t") for line in (tmp_path / "interactions.tsv").read_text().splitlines()[:2]]
    row = dict(zip(header, first))
    assert [row["motif_a"], row["motif_b"]] == ["A", "B"] and row["is_true"] == "True" and row["is_decoy"] == "False"
    for name in ("report.html", "filters.tsv", "maps.h5", "attention_null.png", "filter_logos.png",
                 "interaction_map_glifac.png", "metrics_vs_threshold.png"):
        assert (tmp_path / name).is_file(), name


def test_controls_separate_a_learned_interaction_from_co_occurrence(tmp_path):
    """A-B interacts (its signal rides on attended pairs); C-D is a decoy that co-occurs exactly as
    often. GLIFAC ranks A-B above the decoy; its attention-free control loses the signal; motif
    co-occurrence, which sees only presence, cannot tell A-B from C-D."""
    spec = _toy_grammar().to_dict()
    spec["decoys"] = [{"motifs": ["C", "D"]}]
    grammar = grammar_from_dict(spec)
    features, attention = _planted(4, {1: 0.1})
    n = len(features)
    half = np.arange(n) < n // 2
    placements = np.array([[s, m, 10 * m, 0] for s in range(n) for m in ((0, 1) if half[s] else (2, 3))])
    provenance = {"run": "r", "data": "d", "model": "m", "n_sequences": n, "seed": 0}
    summary = interpret_arrays(tmp_path, features, attention, np.full_like(attention, 0.05), _grammar_ppms(grammar),
                               np.full(4, 500), grammar, InterpretConfig(thresholds="0.5"), provenance,
                               placements=placements)
    scores = json.loads((tmp_path / "scores.json").read_text())
    glifac, control, cooccurrence = (scores[m][0] for m in ("glifac", "glifac_random", "cooccurrence"))
    assert glifac["auroc"] == 1.0 and glifac["motif_auroc_vs_decoys"] == 1.0
    assert glifac["true_ranks"] == [1] and scores["decoys"] == [{"motifs": ["C", "D"]}]
    assert control["auroc"] < 1.0 and control["motif_auroc_vs_decoys"] < 1.0
    assert cooccurrence["motif_auroc_vs_decoys"] == 0.5 and cooccurrence["motif_auroc"] == pytest.approx(0.9)
    assert {row["method"] for row in summary["headline"]} == {"glifac", "local", "glifac_random", "cooccurrence"}
    maps = read_maps(tmp_path / "maps.h5")
    assert maps["glifac_random"].shape == maps["glifac"].shape and maps["motif_names"] == ["A", "B", "C", "D"]
    assert maps["cooccurrence"][0, 1] == pytest.approx(1.0) and maps["cooccurrence"][2, 3] == pytest.approx(1.0)
    decoy_rows = [r for r in (tmp_path / "interactions.tsv").read_text().splitlines() if r.endswith("\tTrue")]
    assert decoy_rows and all("\tC\tD\t" in r for r in decoy_rows)


def test_authors_variants_drop_filters_without_information(tmp_path):
    """A fifth, uniform (0-bit) filter that co-varies with B at the keys: as an unlabelled
    filter it is a negative in the authors' candidate set, but the authors drop filters of
    <= 0.5 bits before GLIFAC, so their AUROC stays 1; keeping it would rank A-(filter 4) above A-B."""
    from analysis import interaction_metrics


    grammar = _toy_grammar()
    features, attention = _planted(5, {1: 0.3, 4: 0.0})
    ppms = _grammar_ppms(grammar, extra=1)
    analyse(features, attention, np.full_like(attention, 0.05), ppms, np.full(5, 500), grammar,
            "0.5", tmp_path)
    row = json.loads((tmp_path / "scores.json").read_text())["glifac"][0]
    assert row["auroc"] == 1.0 and row["auroc_authors"] == 1.0
    maps = read_maps(tmp_path / "maps.h5")
    glifac_map, labels = maps["glifac"][0], maps["filter_labels"]
    assert labels[4] is None
    kept = interaction_metrics(glifac_map, labels, [("A", "B")], include_unlabelled=True)
    assert kept["auroc"] < 1.0  # what the variant would say without the authors' filter


def test_analyse_without_ground_truth_skips_scoring(tmp_path):
    rng = np.random.default_rng(0)
    features = rng.random((50, 6, 3)).astype(np.float32)
    attention = rng.random((50, 6, 6)).astype(np.float32)
    summary = analyse(features, attention, attention, np.full((3, 19, 4), 0.25), np.zeros(3), None,
                      "0.1", tmp_path)
    assert not summary["scored"] and "no ground-truth" in summary["skip_reason"]
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["glifac"][0]["n_pairs"] > 0 and "auroc" not in scores["glifac"][0]
    assert "Scoring skipped" in (tmp_path / "report.html").read_text()


# ---------------------------------------------------------------- command line

def glifac_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "glifac", *args], capture_output=True, text=True, cwd=cwd)


def test_interpret_cli_end_to_end(tiny_run):
    root, _, run_dir = tiny_run
    out = root / "interp"
    result = glifac_cli("interpret", "--run", str(run_dir), "--out", str(out), "--max-sequences", "200",
                        "--quiet")
    assert result.returncode == 0, result.stderr
    assert "report:" in result.stdout
    scores = json.loads((out / "scores.json").read_text())
    assert len(scores["glifac"]) == 10 and len(scores["local"]) == 10
    assert set(scores["null_quantiles"]) == {"q90", "q95", "q99"}
    assert scores["provenance"]["n_sequences"] == 200 and scores["versions"]["glifac"]
    run_metrics = json.loads((run_dir / "metrics.json").read_text())
    assert scores["classification"]["test_aupr"] == run_metrics["test_aupr"]
    assert (out / "report.html").stat().st_size > 10_000
    # refuses to overwrite without --force, leaving the output as it was
    before = (out / "scores.json").read_text()
    again = glifac_cli("interpret", "--run", str(run_dir), "--out", str(out), "--quiet")
    assert again.returncode == 2 and "--force" in again.stderr
    assert (out / "scores.json").read_text() == before


def _no_attention_run(root: Path, data: Path) -> Path:
    import keras

    run_dir = root / "noattn"
    run_dir.mkdir()
    inputs = keras.Input((200, 4))
    hidden = keras.layers.Conv1D(4, 19, padding="same", name="conv")(inputs)
    outputs = keras.layers.Dense(12, activation="sigmoid")(keras.layers.GlobalMaxPooling1D()(hidden))
    keras.Model(inputs, outputs).save(run_dir / "model.keras")
    _mark_complete(run_dir, data)
    return run_dir


def _mark_complete(run_dir: Path, data: Path) -> None:
    (run_dir / "config.json").write_text(json.dumps({"data": {"path": str(data)}}))
    (run_dir / "metrics.json").write_text(json.dumps({"status": "complete"}))


def _fake_run(root: Path, data: Path, name: str, model=None, raw: bytes | None = None) -> Path:
    run_dir = root / name
    run_dir.mkdir()
    if raw is not None:
        (run_dir / "model.keras").write_bytes(raw)
    else:
        model.save(run_dir / "model.keras")
    _mark_complete(run_dir, data)
    return run_dir


def test_interpret_bad_input_exits_2_with_one_line(tiny_run, tmp_path):
    root, data, run_dir = tiny_run
    short = simulate.make_dataset(tmp_path / "short.h5", n=200, seed=0, length=150)
    four_tasks = simulate.make_dataset(tmp_path / "four.h5", n=200, seed=0, grammar=_toy_grammar())
    empty_run = tmp_path / "empty_run"
    empty_run.mkdir()
    import architectures

    one_position = architectures.build_model("CNN20-Exp", pool_size=200, n_filters=4, dense_units=8)
    cases = [
        (["--run", str(tmp_path / "missing")], "not found"),
        (["--run", str(empty_run)], "not complete"),
        (["--run", str(_no_attention_run(tmp_path, data))], "no attention layer"),
        (["--run", str(_fake_run(tmp_path, data, "corrupt", raw=b"not a zip"))], "cannot load model"),
        (["--run", str(_fake_run(tmp_path, data, "onepos", model=one_position))], "at least 2"),
        (["--run", str(run_dir), "--data", str(short)], "length"),
        (["--run", str(run_dir), "--data", str(four_tasks)], "4 tasks"),
        (["--run", str(run_dir), "--thresholds", "1.5"], "outside [0, 1]"),
    ]
    for args, message in cases:
        out = tmp_path / "out"
        result = glifac_cli("interpret", *args, "--out", str(out), "--quiet")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
        assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_demo_runs_end_to_end_and_reuses_finished_steps(tmp_path):
    out = tmp_path / "demo"
    args = ("demo", "--out", str(out), "--n", "1200", "--epochs", "1", "--max-sequences", "100", "--quiet")
    first = glifac_cli(*args)
    assert first.returncode == 0, first.stderr
    assert "report:" in first.stdout and (out / "interpret" / "report.html").is_file()
    config = json.loads((out / "run" / "config.json").read_text())
    assert config["model"] == "CNN20-Exp" and config["model_config"]["attention_units"] == 32
    second = glifac_cli(*args)
    assert second.returncode == 0, second.stderr
    assert "reusing" in second.stdout and "training" not in second.stdout
    # a different request must not silently reuse the old model
    third = glifac_cli(*[("2" if a == "1" else a) for a in args])
    assert third.returncode == 0, third.stderr
    assert "training" in third.stdout
    assert json.loads((out / "run" / "config.json").read_text())["training"]["epochs"] == 2


def test_demo_cells_are_named_by_everything_that_changes_their_outputs(tiny_dataset):
    """Demo and sweeps reuse a cell only when its id matches: the same data, model, training and
    interpretation settings give the same id, any change another (a model recorded before a field
    existed is a different model config, so it is never mistaken for today's)."""
    from _helpers import SMALL
    from glifac.interpretation import InterpretConfig
    from glifac.sweep.cell import make_cell
    from glifac.training import model_for_data, recipe_config

    data = {"path": "d.h5", "sha256": "a" * 64}
    model, training, config = model_for_data("CNN20-Exp", tiny_dataset, SMALL), recipe_config(epochs=1), \
        InterpretConfig()
    base = make_cell("CNN20-Exp", 0, {}, data, model, training, config).cell_id
    assert make_cell("CNN20-Exp", 0, {}, data, model, training, config).cell_id == base
    variants = [
        make_cell("CNN20-Exp", 0, {}, data, model, recipe_config(epochs=2), config),
        make_cell("CNN20-Exp", 0, {}, data, model.replace(attention_units=32), training, config),
        make_cell("CNN20-Exp", 0, {}, data, model.replace(dense_batch_norm=False), training, config),
        make_cell("CNN20-Exp", 0, {}, data, model, training, InterpretConfig(thresholds="0.1")),
        make_cell("CNN20-Exp", 0, {}, {**data, "sha256": "b" * 64}, model, training, config),
    ]
    assert len({c.cell_id for c in variants} | {base}) == 6


def test_demo_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = glifac_cli("demo", "--out", str(tmp_path), "--fresh", "--n", "100", "--quiet")
    assert result.returncode == 2 and "notes.txt" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_interpret_never_replaces_a_folder_it_did_not_write(tiny_run, tmp_path):
    _, _, run_dir = tiny_run
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    for out in (foreign, run_dir, run_dir.parent):
        result = glifac_cli("interpret", "--run", str(run_dir), "--out", str(out), "--force", "--quiet")
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert (foreign / "thesis.tex").read_text() == "keep me"
    assert (run_dir / "model.keras").is_file()


def test_threshold_without_pairs_reports_no_scores(tmp_path):
    grammar = _toy_grammar()
    rng = np.random.default_rng(2)
    features = rng.random((40, 6, 4)).astype(np.float32)
    attention = np.full((40, 6, 6), 0.2, dtype=np.float32)
    analyse(features, attention, attention, _grammar_ppms(grammar), np.full(4, 500), grammar, "0.1,0.9", tmp_path)
    rows = json.loads((tmp_path / "scores.json").read_text())["glifac"]
    assert rows[0]["n_pairs"] > 0 and rows[0]["auroc"] is not None
    assert rows[1]["n_pairs"] == 0 and rows[1]["auroc"] is None and "no attended pairs" in rows[1]["reason"]


def test_demo_rejects_a_negative_seed_without_writing(tmp_path):
    out = tmp_path / "demo"
    result = glifac_cli("demo", "--out", str(out), "--seed", "-1", "--quiet")
    assert result.returncode == 2 and "--seed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
