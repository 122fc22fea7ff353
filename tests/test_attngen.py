"""AttnGen masking: the mask, the KL, the importance sources, the ablation switches, the two-class data,
Genomic Benchmarks folders, localisation and the mask curve."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import architectures
import simulate
from _helpers import random_one_hot
from _helpers import run_glifac as main
from analysis.localisation import instance_mask, localisation_auroc
from glifac.training import model_for_data, recipe_config, train
from glifac.training.attngen import (AttnGenTrainer, bernoulli_kl, categorical_kl, importance_function,
                                     lowest_k_mask, mask_count)
from simulate.errors import InputError



@pytest.fixture(scope="module")
def two_class_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "two.h5"
    return simulate.make_dataset(path, n=1200, seed=0, grammar="two-class")


@pytest.fixture(scope="module")
def two_class(two_class_file):
    return simulate.load(two_class_file)


# ---------------------------------------------------------------- the mask
@pytest.mark.parametrize("alpha,length,k", [(0.1, 200, 20), (0.29, 100, 29), (0.75, 10, 7), (0.0, 200, 0)])
def test_mask_count_is_floor_alpha_l(alpha, length, k):
    assert mask_count(alpha, length) == k == math.floor(round(alpha * length, 9))


def test_lowest_k_mask_masks_exactly_k_lowest_positions():
    scores = np.random.default_rng(0).random((50, 40)).astype(np.float32)
    mask = lowest_k_mask(scores, 7, seed=1).numpy()
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert np.all(mask.sum(axis=1) == 7)
    # every masked score is below every kept one, row by row
    masked_max = np.where(mask > 0, scores, -np.inf).max(axis=1)
    kept_min = np.where(mask > 0, np.inf, scores).min(axis=1)
    assert np.all(masked_max < kept_min)
    assert np.array_equal(mask > 0, scores <= np.sort(scores, axis=1)[:, [6]])


def test_ties_are_broken_uniformly_not_by_position():
    # 20 tied lowest positions, 5 chosen per row: each tied position should be chosen 1/4 of the time
    scores = np.ones((4000, 30), np.float32)
    scores[:, :20] = 0.0
    mask = lowest_k_mask(scores, 5, seed=3).numpy()
    assert np.all(mask[:, 20:] == 0) and np.all(mask.sum(axis=1) == 5)
    counts = mask[:, :20].sum(axis=0)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert abs(counts[:10].sum() - counts[10:].sum()) < 0.05 * counts.sum()  # no left-end preference


# ---------------------------------------------------------------- the KL
def test_bernoulli_kl_matches_closed_form():
    p = np.array([[0.9, 0.2], [0.5, 0.5]], np.float32)
    q = np.array([[0.6, 0.5], [0.5, 0.1]], np.float32)

    def kl(a, b):
        return a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))

    expected = ((kl(0.9, 0.6) + kl(0.2, 0.5)) + (kl(0.5, 0.5) + kl(0.5, 0.1))) / 2
    assert float(bernoulli_kl(p, q)) == pytest.approx(expected, rel=1e-5)
    assert float(bernoulli_kl(p, p)) == pytest.approx(0.0, abs=1e-6)


def test_categorical_kl_matches_closed_form():
    p = np.array([[0.7, 0.3]], np.float32)
    q = np.array([[0.4, 0.6]], np.float32)
    expected = 0.7 * math.log(0.7 / 0.4) + 0.3 * math.log(0.3 / 0.6)
    assert float(categorical_kl(p, q)) == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------- importance sources
def test_embedding_importance_depends_on_the_base_alone():
    model = architectures.build_model("AttnGen-CNN", n_tasks=2)
    x = random_one_hot(16, 200, seed=2)
    scores = importance_function(model, "embedding", "softmax")(tf.constant(x), tf.zeros((16, 2))).numpy()
    bases = x.argmax(axis=-1)
    per_base = {}
    for b in range(4):
        values = scores[bases == b]
        assert np.ptp(values) < 1e-5  # every A scores the same, in every sequence
        per_base[b] = values[0]
    assert len(np.unique(scores.round(5))) == 4
    # the 20 least important positions are the lowest-scoring letter's (random among them)
    mask = lowest_k_mask(scores, 20, seed=0).numpy() > 0
    lowest = min(per_base, key=per_base.get)
    enough = (bases == lowest).sum(axis=1) >= 20
    assert np.all(bases[enough][mask[enough]] == lowest)


def test_attention_importance_is_spread_over_pooling_windows():
    model = architectures.build_model("CNN20-Exp", n_tasks=3, n_filters=8, num_heads=2, key_dim=8,
                                      dense_units=16, input_length=210)
    x = random_one_hot(4, 210, seed=1)
    scores = importance_function(model, "attention", "sigmoid")(tf.constant(x), tf.zeros((4, 3))).numpy()
    assert scores.shape == (4, 210)
    windows = scores[:, :200].reshape(4, 10, 20)
    assert np.allclose(windows, windows[:, :, :1])  # constant within each pooled window
    assert np.allclose(scores[:, 200:], scores[:, 199:200])  # the tail past the last window
    assert np.allclose(windows[:, :, 0].sum(axis=1), 1.0, atol=1e-5)  # mean received attention sums to 1


def test_attention_importance_needs_attention():
    model = architectures.build_model("AttnGen-CNN", n_tasks=2)
    with pytest.raises(InputError, match="attention layer"):
        importance_function(model, "attention", "softmax")


def test_random_importance_ignores_the_sequence():
    model = architectures.build_model("AttnGen-CNN", n_tasks=2, dense_dropout=0.0)
    trainer = AttnGenTrainer(model, recipe_config("attngen", importance="random", mask_fraction=0.5), "softmax")
    x = tf.constant(random_one_hot(200, 200, seed=0))
    masked = trainer.masked(x, tf.zeros((200, 2))).numpy()
    zero_rows = masked.sum(axis=-1) == 0
    assert np.all(zero_rows.sum(axis=1) == 100)
    # a random mask covers each position about half the time, whatever base sits there
    by_base = [zero_rows[x.numpy().argmax(-1) == b].mean() for b in range(4)]
    assert np.allclose(by_base, 0.5, atol=0.03)


# ---------------------------------------------------------------- the objective and its switches
def _trainer_loss(kl_weight, importance="saliency"):
    keras_seed = 0
    tf.keras.utils.set_random_seed(keras_seed)
    model = architectures.build_model("AttnGen-CNN", n_tasks=2, dense_dropout=0.0, batch_norm=False)
    config = recipe_config("attngen", importance=importance, kl_weight=kl_weight, mask_fraction=0.3)
    trainer = AttnGenTrainer(model, config, "softmax")
    trainer.compile(optimizer="adam", loss=tf.keras.losses.CategoricalCrossentropy())
    x = tf.constant(random_one_hot(32, 200, seed=5))
    y = tf.constant(np.eye(2, dtype=np.float32)[np.arange(32) % 2])
    x_masked = trainer.masked(x, y)  # saliency: no ties, the same mask inside train_step
    p, q = model(x, training=True), model(x_masked, training=True)
    ce = tf.keras.losses.CategoricalCrossentropy()
    expected = float(ce(y, p) + (kl_weight * categorical_kl(p, q) if kl_weight > 0 else ce(y, q)))
    loss = float(trainer.train_step((x, y))["loss"])
    return loss, expected


def test_attngen_loss_is_ce_plus_lambda_kl():
    loss, expected = _trainer_loss(0.5)
    assert loss == pytest.approx(expected, rel=1e-4)


def test_kl_weight_zero_trains_the_masked_copies_with_the_labels():
    loss, expected = _trainer_loss(0.0)
    assert loss == pytest.approx(expected, rel=1e-4)


def test_mask_fraction_zero_is_plain_training(two_class, tmp_path):
    overrides = {"dense_units": 8}
    config = model_for_data("AttnGen-CNN", two_class, overrides)
    plain = train(two_class, config, recipe_config("attngen", mask_fraction=0.0, objective="plain", epochs=1),
                  tmp_path / "plain", quiet=True)
    masked_off = train(two_class, config, recipe_config("attngen", mask_fraction=0.0, epochs=1),
                       tmp_path / "off", quiet=True)
    recorded = json.loads((tmp_path / "off" / "config.json").read_text())["training"]
    assert recorded["objective"] == "plain" and recorded["mask_fraction"] == 0.0
    a, b = architectures.load_model(plain.model_path), architectures.load_model(masked_off.model_path)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    on = train(two_class, config, recipe_config("attngen", mask_fraction=0.2, epochs=1), tmp_path / "on",
               quiet=True)
    c = architectures.load_model(on.model_path)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))
    assert 0 <= on.metrics["test_accuracy"] <= 1


def test_attngen_run_resumes(two_class, tmp_path):
    from glifac.training import checkpoint as checkpoint_mod

    class Interrupt(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    config = model_for_data("AttnGen-CNN", two_class, {"dense_units": 8})
    training = recipe_config("attngen", mask_fraction=0.2, epochs=2, patience=None)
    with pytest.raises(KeyboardInterrupt):
        train(two_class, config, training, tmp_path / "run", quiet=True, callbacks=[Interrupt()])
    assert checkpoint_mod.has_checkpoint(tmp_path / "run")
    result = train(two_class, config, training, tmp_path / "run", resume=True, quiet=True)
    assert result.complete and result.metrics["epochs_run"] == 2


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("flags,message", [
    (["--mask-fraction", "1.0"], "mask fraction must be in [0, 1)"),
    (["--mask-fraction", "-0.1"], "mask fraction must be in [0, 1)"),
    (["--kl-weight", "-1"], "KL weight must be"),
    (["--importance", "gradcam"], "unknown importance 'gradcam'"),
])
def test_bad_attngen_settings_exit_2(flags, message, two_class_file, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = main(["train", "--data", str(two_class_file), "--model", "AttnGen-CNN", "--recipe", "attngen",
                         *flags, "--out", str(out)], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_attention_importance_on_a_model_without_attention_exits_2(two_class_file, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = main(["train", "--data", str(two_class_file), "--model", "AttnGen-CNN", "--recipe", "attngen",
                         "--importance", "attention", "--out", str(out)], capsys)
    assert code == 2 and "attention layer" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_softmax_head_on_multi_label_data_exits_2(tiny_data_file, tmp_path, capsys):
    code, _, err = main(["train", "--data", str(tiny_data_file), "--model", "AttnGen-CNN",
                         "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and "softmax head needs one class per sequence" in err


# ---------------------------------------------------------------- two-class data
def test_two_class_labels_follow_the_and_pairs(two_class):
    grammar = two_class.grammar
    assert two_class.task_names == ["negative", "positive"]
    y, placements = two_class.y_train, two_class.placements_train
    assert np.all(y.sum(axis=1) == 1)
    present = np.zeros((len(y), len(grammar.motifs)), bool)
    present[placements[:, 0], placements[:, 1]] = True
    and_pairs = [i.motifs for i in grammar.interactions if i.logic == "and"]
    assert and_pairs  # the paper's grammar has AND pairs; the file does not name them
    expected = np.zeros(len(y), bool)
    for a, b in and_pairs:
        expected |= present[:, grammar.index(a)] & present[:, grammar.index(b)]
    np.testing.assert_array_equal(y[:, 1].astype(bool), expected)
    assert 0.4 < y[:, 1].mean() < 0.6  # every sequence carries one pair; half of the pairs are AND


def test_two_class_grammar_validation(tmp_path):
    from simulate.grammar import load_grammar

    bad = tmp_path / "g.json"
    bad.write_text(json.dumps({"extends": "paper", "two_class": {"names": ["a"], "logics": ["and"]}}))
    with pytest.raises(InputError, match="two different class names"):
        load_grammar(bad)
    bad.write_text(json.dumps({"extends": "paper", "two_class": {"names": ["a", "b"], "logics": ["or"]}}))
    with pytest.raises(InputError, match="'logics'"):
        load_grammar(bad)


# ---------------------------------------------------------------- Genomic Benchmarks folders
def _write_benchmark(root, classes=("worm", "human"), n=30, length=40, empty=None):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for name in classes:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                text = "".join(rng.choice(list("ACGTN"), length, p=[0.24, 0.24, 0.24, 0.24, 0.04]))
                (folder / f"{i}.txt").write_text("" if empty == (split, name, i) else text)
    return root


def test_genomic_benchmarks_folder_converts(tmp_path, capsys):
    root = _write_benchmark(tmp_path / "demo")
    code, out, err = main(["genomic-benchmark", str(root), "--out", str(tmp_path / "d.h5")], capsys)
    assert code == 0, err
    ds = simulate.load(tmp_path / "d.h5")
    assert ds.task_names == ["human", "worm"]  # sorted by name
    assert len(ds.x_train) + len(ds.x_valid) == 60 and len(ds.x_test) == 60
    assert ds.grammar is None and "placements_test" not in ds.arrays
    # test sequences are read in sorted class then file order: human first
    first = (root / "test" / "human" / "0.txt").read_text()
    decoded = ds.x_test[0]
    for base, row in zip(first, decoded):
        assert (row.sum() == 0) if base == "N" else (row["ACGT".index(base)] == 1)
    assert np.all(ds.y_test[:30, 0] == 1) and np.all(ds.y_test[30:, 1] == 1)


@pytest.mark.parametrize("kind,message", [("one class", "a classification needs at least 2"),
                                          ("empty file", "is empty")])
def test_bad_genomic_benchmarks_folder_exits_2(kind, message, tmp_path, capsys):
    if kind == "one class":
        root = _write_benchmark(tmp_path / "demo", classes=("human",))
    else:
        root = _write_benchmark(tmp_path / "demo", empty=("train", "worm", 3))
    code, _, err = main(["genomic-benchmark", str(root), "--out", str(tmp_path / "d.h5")], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "d.h5").exists()


# ---------------------------------------------------------------- localisation
def test_instance_mask_matches_a_loop():
    placements = np.array([[0, 0, 2, 0], [0, 1, 10, 1], [2, 1, 0, 0]])
    widths = [3, 5]
    mask = instance_mask(placements, 3, 20, widths)
    expected = np.zeros((3, 20), bool)
    for seq, motif, start, _ in placements:
        expected[seq, start:start + widths[motif]] = True
    np.testing.assert_array_equal(mask, expected)


def test_localisation_auroc_perfect_random_and_ties():
    rng = np.random.default_rng(0)
    mask = rng.random((500, 100)) < 0.2
    assert np.allclose(localisation_auroc(mask.astype(float) + 0.1 * rng.random(mask.shape), mask), 1.0)
    assert np.allclose(localisation_auroc(-mask.astype(float), mask), 0.0)
    assert np.allclose(localisation_auroc(np.zeros(mask.shape), mask), 0.5)  # all tied: one half
    random = localisation_auroc(rng.random(mask.shape), mask)
    assert abs(random.mean() - 0.5) < 0.01
    # a single sequence's AUROC under random scores has sd sqrt((P+N+1)/(12 P N)) (Mann-Whitney)
    p, n = mask.sum(axis=1), 100 - mask.sum(axis=1)
    assert random.std() == pytest.approx(np.sqrt((p + n + 1) / (12 * p * n)).mean(), rel=0.15)
    empty = localisation_auroc(np.zeros((1, 5)), np.zeros((1, 5), bool))
    assert np.isnan(empty[0])


@pytest.fixture(scope="module")
def attngen_run(two_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("ag") / "run"
    config = model_for_data("AttnGen-CNN", two_class, {"dense_units": 8})
    train(two_class, config, recipe_config("attngen", mask_fraction=0.1, epochs=2), out, quiet=True)
    return out


def test_localise_command(attngen_run, capsys):
    code, out, err = main(["localise", "--run", str(attngen_run), "--n", "200"], capsys)
    assert code == 0, err
    result = json.loads((attngen_run / "localisation.json").read_text())
    assert set(result["sources"]) == {"embedding", "saliency", "random"}
    assert result["skipped"]["attention"] == "the model has no attention layer"
    assert result["sources"]["embedding"]["distinct_scores"] <= 4  # the base-only property, on a trained model
    assert 0.4 < result["sources"]["random"]["auroc"] < 0.6


def test_mask_curve_command(attngen_run, capsys):
    code, out, err = main(["mask-curve", "--run", str(attngen_run), "--n", "200", "--steps", "0,5,50",
                           "--folds", "4"], capsys)
    assert code == 0, err
    result = json.loads((attngen_run / "mask_curve.json").read_text())
    curves = result["curves"]
    assert set(curves) == {"most important first", "least important first", "random"}
    # nothing masked: the three orders see the same sequences
    assert len({c["mean"][0] for c in curves.values()}) == 1
    assert (attngen_run / "mask_curve.png").stat().st_size > 1000
    code, _, err = main(["mask-curve", "--run", str(attngen_run), "--steps", "0,500"], capsys)
    assert code == 2 and "sequences have 200" in err


def test_objective_attngen_without_a_mask_fraction_is_refused(two_class_file, tmp_path, capsys):
    code, _, err = main(["train", "--data", str(two_class_file), "--model", "AttnGen-CNN",
                         "--objective", "attngen", "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and "needs --mask-fraction above 0" in err
    assert not (tmp_path / "r").exists()


def test_evaluate_order_does_not_change_a_cell_id():
    from glifac.interpretation import InterpretConfig
    from glifac.sweep.cell import make_cell

    model = architectures.resolve_config("AttnGen-CNN", n_tasks=2)
    training, interpret = recipe_config("attngen"), InterpretConfig()
    data = {"sha256": "0" * 64, "path": "x.h5"}
    a = make_cell("AttnGen-CNN", 0, {}, data, model, training, interpret, ["localise", "interpret"])
    b = make_cell("AttnGen-CNN", 0, {}, data, model, training, interpret, ["interpret", "localise"])
    c = make_cell("AttnGen-CNN", 0, {}, data, model, training, interpret, ["localise"])
    assert a.cell_id == b.cell_id != c.cell_id
