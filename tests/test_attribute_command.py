"""glifac attribute: outputs, which instances count, faithfulness, and bad input."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import simulate
from _helpers import run_glifac as main
from glifac.attribution.pipeline import AttributionConfig, attribute, counted_motifs
from simulate.errors import InputError

FAST = ["--methods", "saliency,grad_x_input,integrated_gradients,mutagenesis", "--steps", "8", "--n", "20"]


def test_counted_motifs_follow_the_label_rules():
    grammar = simulate.load_grammar()
    and_pair = next(i.motifs for i in grammar.interactions if i.logic == "and")
    xor_pair = next(i.motifs for i in grammar.interactions if i.logic == "xor")
    independent = next(m for m in grammar.motif_names
                       if all(m not in i.motifs for i in grammar.interactions))
    names = grammar.motif_names
    assert [names[k] for k in counted_motifs(grammar, and_pair[0])] == sorted(and_pair, key=names.index)
    assert [names[k] for k in counted_motifs(grammar, xor_pair[1])] == [xor_pair[1]]
    assert [names[k] for k in counted_motifs(grammar, independent)] == [independent]
    two = simulate.load_grammar("two-class")
    positive = {names[k] for k in counted_motifs(two, "positive")}
    assert positive == {m for i in two.interactions if i.logic == "and" for m in i.motifs}
    assert counted_motifs(two, "negative") == []


def test_attribute_writes_maps_and_scores(tiny_run, tmp_path, capsys):
    _, data, run_dir = tiny_run
    out = tmp_path / "attr"
    code, stdout, err = main(["attribute", "--run", str(run_dir), "--tasks", "ELF1,CEBPB", *FAST,
                              "--fractions", "0.05,0.2", "--out", str(out), "--quiet"], capsys)
    assert code == 0, err
    summary = json.loads((out / "attribution.json").read_text())
    ds = simulate.load(data, splits=("test",))
    with h5py.File(out / "attributions.h5") as h5:
        for task in ("ELF1", "CEBPB"):
            index = h5[task]["sequence_index"][()]
            assert np.all(ds.y_test[index, ds.task_names.index(task)] == 1) and len(index) <= 20
            for method in ("saliency", "grad_x_input", "integrated_gradients", "mutagenesis"):
                assert h5[task][method].shape == (len(index), 200, 4)
            gxi = h5[task]["grad_x_input"][()]
            assert np.all(gxi[ds.x_test[index] == 0] == 0)  # non-zero at the observed base only
    for task in ("ELF1", "CEBPB"):
        rows = summary["tasks"][task]
        for row in rows.values():
            assert 0 <= row["auroc"]["mean"] <= 1 and 0 <= row["aupr"]["mean"] <= 1
            assert 0 <= row["gini"]["mean"] <= 1 and len(row["faithfulness"]["most"]) == 2
        assert "completeness_gap" in rows["integrated_gradients"]
        assert len(summary["jaccard"][task]) == 6
    assert summary["instances"]["CEBPB"] == ["CEBPB"]
    assert summary["provenance"]["config"]["steps"] == 8


def test_data_without_placements_skips_ground_truth(tiny_run, tmp_path):
    _, data, run_dir = tiny_run
    ds = simulate.load(data)
    arrays = {s: {"x": getattr(ds, f"x_{s}"), "y": getattr(ds, f"y_{s}")} for s in ("train", "valid", "test")}
    bare = simulate.dataset.write_arrays(tmp_path / "bare.h5", arrays, {"task_names": json.dumps(ds.task_names)})
    summary = attribute(run_dir, AttributionConfig(methods="saliency", tasks="ELF1", n_sequences=5), tmp_path / "o",
                        data=bare, quiet=True)
    assert "ground-truth scores not computed" in summary["skipped"]["ELF1"]
    assert "auroc" not in summary["tasks"]["ELF1"]["saliency"]


@pytest.mark.parametrize("flags,message", [
    (["--methods", "lrp_magic"], "unknown method 'lrp_magic'"),
    (["--n", "0"], "--n must be >= 1"),
    (["--tasks", "NOPE"], "task 'NOPE' is not in the data"),
    (["--baseline", "gauss"], "unknown baseline"),
    (["--fractions", "0.5,2"], "fractions must lie in (0, 1)"),
])
def test_bad_input_exits_2(flags, message, tiny_run, tmp_path, capsys):
    _, _, run_dir = tiny_run
    code, _, err = main(["attribute", "--run", str(run_dir), *flags, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_run_exits_2(tmp_path, capsys):
    code, _, err = main(["attribute", "--run", str(tmp_path / "none")], capsys)
    assert code == 2 and "run directory not found" in err


def test_lrp_and_rollout_on_a_can_run(tiny_run, tmp_path):
    _, _, run_dir = tiny_run
    summary = attribute(run_dir, AttributionConfig(methods="lrp,attention_rollout", tasks="ELF1", n_sequences=5,
                                                   fractions="0.1"), tmp_path / "o", quiet=True)
    rows = summary["tasks"]["ELF1"]
    assert set(rows) == {"lrp", "attention_rollout"} and "attention_rollout" not in summary["skipped"]
    with h5py.File(tmp_path / "o" / "attributions.h5") as h5:
        rollout = h5["ELF1"]["attention_rollout"][()]
    assert np.all(rollout >= 0) and np.all((rollout > 0).sum(axis=2) == 1)  # at the observed base
    attention = summary["attention"]
    assert attention["layer"] == "attention" and 0 <= attention["normalised_entropy"] <= 1
    assert attention["uniform_weight"] == pytest.approx(1 / attention["positions"])
    assert attention["uniform_weight"] <= attention["max_weight"] <= 1
    assert "normalised row entropy" in (tmp_path / "o" / "report.html").read_text()


def test_mutagenesis_test_interval(tiny_run, tmp_path):
    _, _, run_dir = tiny_run
    summary = attribute(run_dir, AttributionConfig(methods="grad_x_input", tasks="ELF1", n_sequences=30,
                                                   fractions="0.1", random_draws=20), tmp_path / "o", quiet=True)
    test = summary["tasks"]["ELF1"]["grad_x_input"]["mutagenesis_test"]
    low, high = test["drop_random_interval"]
    assert test["draws"] == 20 and low <= test["drop_random_mean"] <= high
    assert 0 <= test["aupr"] <= 1 and -1 <= test["drop_top"] <= 1


def test_report_and_examples(tiny_run, tmp_path):
    _, _, run_dir = tiny_run
    attribute(run_dir, AttributionConfig(methods="grad_x_input,mutagenesis", tasks="ELF1", n_sequences=4,
                                         fractions="0.1", random_draws=5), tmp_path / "o", quiet=True)
    page = (tmp_path / "o" / "report.html").read_text()
    assert "grad_x_input" in page and "mutagenesis" in page and "data:image/png;base64" in page
    assert (tmp_path / "o" / "examples.png").stat().st_size > 2000
