"""Training: metrics, run directory, determinism, CLI, bad input, resume, divergence."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

import simulate
from _helpers import MODEL, SMALL, SMALL_FLAGS, train_small
from analysis.classification import classification_metrics
from glifac import cli, rundir
from glifac.training import checkpoint as checkpoint_mod
from glifac.training import cli as train_cli
from glifac.training import config as config_mod
from glifac.training.monitor import HISTORY_FIELDS
from simulate.errors import InputError
from simulate.files import sha256_file


def train(dataset, model, out, **kwargs) -> dict:
    """Train the small model through the library and return its metrics.json content."""
    return train_small(dataset, out, model, **kwargs).metrics


@pytest.fixture(scope="session")
def complete_run(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "complete"
    metrics = train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 3, "seed": 7}, quiet=True)
    return out, metrics


def main_in_process(argv, capsys):
    """Run the real command line in this process; return (code, stdout, stderr)."""
    try:
        code = cli.main(["train", *argv])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- run directory
def test_complete_run_directory(complete_run, tiny_dataset, tiny_data_file):
    out, metrics = complete_run
    assert rundir.run_status(out) == "complete"
    assert not (out / rundir.INCOMPLETE_MARKER).exists()
    assert not (out / checkpoint_mod.CHECKPOINT_DIR).exists()

    config = json.loads((out / "config.json").read_text())
    assert config["model"] == MODEL
    assert config["model_config"]["pool_size"] == 20 and config["model_config"]["activation"] == "exp"
    assert config["model_config"]["n_filters"] == 8
    assert config["model_config"]["input_length"] == 120 and config["model_config"]["n_tasks"] == 12
    assert config["training"]["epochs"] == 3 and config["seed"] == 7
    assert config["data"]["sha256"] == sha256_file(tiny_data_file)
    assert Path(config["data"]["path"]) == Path(tiny_data_file).resolve()
    for package in ("python", "numpy", "keras", "tensorflow", "glifac"):
        assert config["versions"][package]

    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(HISTORY_FIELDS)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert all(float(r["seconds"]) > 0 and float(r["lr"]) == pytest.approx(1e-3) for r in rows)

    saved = json.loads((out / "metrics.json").read_text())
    assert saved["status"] == "complete" and saved == json.loads(json.dumps(metrics))
    assert set(saved["test_auroc_per_task"]) == set(tiny_dataset.task_names)
    assert set(saved["test_aupr_per_task"]) == set(tiny_dataset.task_names)
    # the saved best model reproduces the recorded test metrics
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    y_prob = model.predict(tiny_dataset.x_test.astype(np.float32), verbose=0)
    again = classification_metrics(tiny_dataset.y_test, y_prob, tiny_dataset.task_names)
    assert saved["test_auroc"] == pytest.approx(again["auroc"], abs=1e-6)
    assert saved["test_aupr"] == pytest.approx(again["aupr"], abs=1e-6)
    # the paper's metric: keras.metrics.AUC over all labels flattened
    for key, curve in (("test_auroc_pooled", "ROC"), ("test_aupr_pooled", "PR")):
        metric = keras.metrics.AUC(curve=curve)
        metric.update_state(tiny_dataset.y_test.astype(np.float32), y_prob)
        assert saved[key] == pytest.approx(float(metric.result()), abs=1e-5)
    assert all(0 < float(r["val_aupr_pooled"]) < 1 and 0 < float(r["val_auroc_pooled"]) < 1 for r in rows)
    assert saved["best_val_aupr"] == pytest.approx(max(float(r["val_aupr"]) for r in rows), abs=1e-5)


def test_training_reduces_loss(complete_run):
    out, _ = complete_run
    with open(out / "history.csv") as fh:
        losses = [float(r["loss"]) for r in csv.DictReader(fh)]
    assert losses[-1] < losses[0]


def test_same_seed_same_metrics(complete_run, tiny_dataset, tmp_path):
    _, first = complete_run
    again = train(tiny_dataset, MODEL, tmp_path / "again", overrides=SMALL,
                  training={"epochs": 3, "seed": 7}, quiet=True)
    other = train(tiny_dataset, MODEL, tmp_path / "other", overrides=SMALL,
                  training={"epochs": 3, "seed": 8}, quiet=True)
    for key in ("test_auroc", "test_aupr", "test_loss", "test_aupr_per_task"):
        assert again[key] == first[key]
    assert other["test_loss"] != first["test_loss"]


def test_lr_drops_and_early_stopping(tiny_dataset, tmp_path, capsys):
    # patience 1 / lr_patience 1: every non-improving epoch cuts the LR and stops
    metrics = train(tiny_dataset, MODEL, tmp_path / "es", overrides=SMALL, quiet=False,
                    training={"epochs": 30, "learning_rate": 1e-5, "lr_patience": 1, "patience": 2})
    with open(tmp_path / "es" / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    lrs = [float(r["lr"]) for r in rows]
    assert metrics["stopped_early"] and len(rows) < 30
    assert metrics["epochs_run"] - metrics["best_epoch"] == 2  # stopped after 2 misses
    assert lrs[-1] == pytest.approx(0.3 * lrs[-2])  # cut after the first miss
    assert all(b <= a for a, b in zip(lrs, lrs[1:])) and lrs[0] == pytest.approx(1e-5)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch")]
    assert len(lines) == len(rows) and "val_aupr" in lines[0] and "lr" in lines[0]


def test_recipes_are_written_out_settings():
    """Each recipe is the settings README lists; flags override one setting and keep the name."""
    fast, paper, authors = (config_mod.recipe_config(r) for r in ("fast", "paper", "authors"))
    assert fast == config_mod.TrainingConfig() and fast.recipe == config_mod.DEFAULT_RECIPE == "fast"
    assert (fast.batch_size, fast.lr_factor, fast.lr_patience, fast.patience, fast.monitor) == \
        (100, 0.3, 5, 10, "val_aupr")
    assert paper.patience is None and paper.monitor == "val_aupr" and paper.epochs == 100
    assert (authors.batch_size, authors.lr_factor, authors.lr_patience, authors.patience, authors.monitor) == \
        (200, 0.2, 10, 15, "val_loss")
    tweaked = config_mod.recipe_config("authors", batch_size=100)
    assert tweaked.batch_size == 100 and tweaked.recipe == "authors" and tweaked.patience == 15
    with pytest.raises(InputError, match="unknown recipe"):
        config_mod.recipe_config("bogus")


def test_paper_recipe_never_stops_early_where_fast_does(tiny_dataset, tmp_path):
    """A learning rate too small to change validation AUPR: the fast recipe (patience 1 here)
    stops after one idle epoch, the paper recipe trains every epoch and keeps epoch 1."""
    frozen = {"epochs": 4, "learning_rate": 1e-12}
    fast = train(tiny_dataset, MODEL, tmp_path / "fast", overrides=SMALL, quiet=True,
                 training={**frozen, "patience": 1})
    paper = train(tiny_dataset, MODEL, tmp_path / "paper", overrides=SMALL, quiet=True,
                  training={**frozen, "recipe": "paper"})
    assert fast["stopped_early"] and fast["epochs_run"] == 2
    assert not paper["stopped_early"] and paper["epochs_run"] == 4 and paper["best_epoch"] == 1
    assert json.loads((tmp_path / "paper" / "config.json").read_text())["training"]["patience"] is None


def test_val_loss_monitor_keeps_the_lowest_loss_epoch(tiny_dataset, tmp_path):
    metrics = train(tiny_dataset, MODEL, tmp_path / "authors", overrides=SMALL, quiet=True,
                    training={"recipe": "authors", "epochs": 4, "seed": 3})
    with open(tmp_path / "authors" / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    losses = [float(r["val_loss"]) for r in rows]
    assert metrics["monitor"] == "val_loss"
    assert metrics["best_epoch"] == 1 + int(np.argmin(losses))
    assert metrics["best_monitor_value"] == pytest.approx(min(losses), rel=1e-5)
    assert metrics["best_val_aupr"] == pytest.approx(float(rows[metrics["best_epoch"] - 1]["val_aupr"]), rel=1e-5)
    config = json.loads((tmp_path / "authors" / "config.json").read_text())["training"]
    assert config["recipe"] == "authors" and config["batch_size"] == 200


def test_quiet_prints_nothing(tiny_dataset, tmp_path, capsys):
    train(tiny_dataset, MODEL, tmp_path / "q", overrides=SMALL, training={"epochs": 1}, quiet=True)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- command line
def test_cli_end_to_end(tiny_data_file, tmp_path):
    out = tmp_path / "cli-run"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "glifac", "train", "--data", str(tiny_data_file), "--model", MODEL,
         *SMALL_FLAGS, "--epochs", "2", "--seed", "3", "--out", str(out), "--threads", "1"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len([l for l in result.stdout.splitlines() if l.startswith("epoch")]) == 2
    assert rundir.is_complete(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["test_auroc"] <= 1 and 0 <= metrics["test_aupr"] <= 1


def test_limit_threads_sets_both_tensorflow_pools():
    code = ("from glifac.runtime import import_tensorflow_quietly, limit_threads\n"
            "import_tensorflow_quietly(); limit_threads(1)\n"
            "import tensorflow as tf\n"
            "print(tf.config.threading.get_intra_op_parallelism_threads(),"
            " tf.config.threading.get_inter_op_parallelism_threads())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1"]


def test_cli_bad_input_is_one_line_in_a_real_process(tiny_data_file, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "glifac", "train", "--data", str(tiny_data_file), "--model", "CNN7-Exp",
         "--out", str(tmp_path / "x")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "CNN7-Exp" in result.stderr and "CNN20-Exp" in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "case, argv, needle",
    [
        ("unknown model", ["--model", "CNN7-Exp"], "available models"),
        ("missing data", ["--model", MODEL, "--data", "{missing}"], "not found"),
        ("malformed data", ["--model", MODEL, "--data", "{garbage}"], "not an HDF5 file"),
        ("wrong-type flag", ["--model", MODEL, "--pool-size", "four"], "--pool-size"),
        ("wrong-type config", ["--model", MODEL, "--config", "{bad_config}"], "pool_size"),
        ("unknown config key", ["--model", MODEL, "--config", "{unknown_config}"], "pool_width"),
        ("zero epochs", ["--model", MODEL, "--epochs", "0"], "epochs"),
        ("zero threads", ["--model", MODEL, "--threads", "0"], "--threads"),
        ("seed too large", ["--model", MODEL, "--seed", str(2**32)], "seed"),
        ("infinite min lr", ["--model", MODEL, "--min-lr", "inf"], "min_lr"),
        ("config section not an object", ["--model", MODEL, "--config", "{list_config}"], "training"),
        ("bad activation", ["--model", MODEL, "--activation", "swish-ish"], "activation"),
        ("no model", [], "--model"),
        ("resume nothing", ["--model", MODEL, "--resume"], "nothing to resume"),
        ("force and resume", ["--model", MODEL, "--force", "--resume", "--out", "{existing}"],
         "mutually exclusive"),
        ("existing out dir", ["--model", MODEL, "--out", "{existing}"], "--force"),
        ("unknown recipe", ["--model", MODEL, "--recipe", "quick"], "--recipe"),
        ("bad patience", ["--model", MODEL, "--patience", "never"], "--patience"),
        ("zero patience", ["--model", MODEL, "--patience", "0"], "patience"),
        ("unknown monitor", ["--model", MODEL, "--monitor", "val_auroc"], "--monitor"),
    ],
)
def test_bad_input_exits_2_with_one_line(case, argv, needle, tiny_data_file, tmp_path, capsys):
    garbage = tmp_path / "garbage.h5"
    garbage.write_text("not hdf5\n")
    bad_config = tmp_path / "bad.json"
    bad_config.write_text(json.dumps({"pool_size": "4"}))
    unknown_config = tmp_path / "unknown.json"
    unknown_config.write_text(json.dumps({"pool_width": 4}))
    list_config = tmp_path / "list.json"
    list_config.write_text(json.dumps({"training": [1, 2]}))
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "config.json").write_text("{}")
    paths = {"missing": tmp_path / "nope.h5", "garbage": garbage, "bad_config": bad_config,
             "unknown_config": unknown_config, "list_config": list_config, "existing": existing}
    argv = [a.format(**paths) for a in argv]
    if "--data" not in argv:
        argv += ["--data", str(tiny_data_file)]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "run")]
    code, _, err = main_in_process(argv, capsys)
    assert code == 2, case
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert needle in err, err
    assert not rundir.is_complete(tmp_path / "run") and not (tmp_path / "run").exists()
    assert sorted(p.name for p in existing.iterdir()) == ["config.json"]  # untouched


def test_cli_recipe_is_recorded_and_flags_override_it(tiny_data_file, tmp_path, capsys):
    out = tmp_path / "authors"
    code, _, err = main_in_process(["--data", str(tiny_data_file), "--model", MODEL, *SMALL_FLAGS, "--epochs", "1",
                                    "--recipe", "authors", "--patience", "none", "--quiet", "--out", str(out)],
                                   capsys)
    assert code == 0, err
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["recipe"] == "authors" and training["monitor"] == "val_loss"
    assert training["batch_size"] == 200 and training["patience"] is None  # recipe, then the flag


def test_config_file_merges_under_flags(tiny_data_file, tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"model": MODEL, **SMALL, "n_filters": 5, "epochs": 1,
                                  "layer_norm": "post"}))
    out = tmp_path / "run"
    code, _, err = main_in_process(["--data", str(tiny_data_file), "--config", str(config),
                                    "--n-filters", "6", "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    recorded = json.loads((out / "config.json").read_text())
    assert recorded["model_config"]["n_filters"] == 6  # flag beats file
    assert recorded["model_config"]["layer_norm"] == "post"  # file beats preset
    assert recorded["training"]["epochs"] == 1
    # a run's own config.json is a valid --config: same settings, new directory
    code, _, err = main_in_process(["--data", str(tiny_data_file), "--config", str(out / "config.json"),
                                    "--quiet", "--out", str(tmp_path / "rerun")], capsys)
    assert code == 0, err
    rerun = json.loads((tmp_path / "rerun" / "config.json").read_text())
    assert rerun["model_config"] == recorded["model_config"]


def test_force_overwrites_a_run_but_not_other_folders(complete_run, tiny_dataset, tmp_path):
    out = tmp_path / "forced"
    train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 1}, quiet=True)
    first = (out / "model.keras").stat().st_mtime_ns
    with pytest.raises(InputError, match="--force"):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 1}, quiet=True)
    train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 1}, quiet=True, force=True)
    assert rundir.is_complete(out) and (out / "model.keras").stat().st_mtime_ns != first
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="does not look like a run directory"):
        train(tiny_dataset, MODEL, precious, overrides=SMALL, training={"epochs": 1}, quiet=True, force=True)
    assert (precious / "thesis.tex").exists()


# ---------------------------------------------------------------- interruption
def test_resume_after_interruption(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "resumable"
    seen = {}

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # after the trainer checkpointed epoch 2
                seen["weights"] = self.model.get_weights()
                seen["iterations"] = int(self.model.optimizer.iterations.numpy())
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 4, "seed": 1},
              quiet=True, callbacks=[Interrupt()])
    assert "--resume" in capsys.readouterr().err
    assert rundir.run_status(out) == "incomplete"
    assert not (out / "metrics.json").exists() and not (out / "model.keras").exists()
    assert (out / checkpoint_mod.CHECKPOINT_DIR / checkpoint_mod.CHECKPOINT_FILE).is_file()
    with pytest.raises(InputError, match="--resume"):  # no silent overwrite
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 4, "seed": 1}, quiet=True)
    with pytest.raises(InputError, match="differs"):  # resume must match the run
        train(tiny_dataset, MODEL, out, overrides={**SMALL, "n_filters": 4},
              training={"epochs": 4, "seed": 1}, quiet=True, resume=True)

    class Check(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["restored"] = self.model.get_weights()
            seen["restored_iterations"] = int(self.model.optimizer.iterations.numpy())

    code_metrics = train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 4, "seed": 1},
                         quiet=False, resume=True, callbacks=[Check()])
    assert "resuming" in capsys.readouterr().out
    assert code_metrics["status"] == "complete" and rundir.is_complete(out)
    assert seen["restored_iterations"] == seen["iterations"] > 0
    for a, b in zip(seen["restored"], seen["weights"]):
        np.testing.assert_array_equal(a, b)
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert all(float(r["seconds"]) > 0 for r in rows)  # epoch 2's time survived the interruption
    with pytest.raises(InputError, match="already finished"):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 4, "seed": 1}, resume=True)


def test_cli_resume_uses_the_recorded_config_and_can_extend(tiny_dataset, tiny_data_file, tmp_path, capsys):
    out = tmp_path / "cli-resume"

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 2, "seed": 5},
              quiet=True, callbacks=[Interrupt()])
    capsys.readouterr()
    original = json.loads((out / "config.json").read_text())
    # no --model or overrides: they come from the run's config.json
    code, stdout, err = main_in_process(["--data", str(tiny_data_file), "--out", str(out), "--resume",
                                         "--epochs", "3"], capsys)
    assert code == 0, err
    assert "resuming" in stdout
    assert rundir.is_complete(out)

    with open(out / "history.csv") as fh:
        assert [int(r["epoch"]) for r in csv.DictReader(fh)] == [1, 2, 3]
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["epochs"] == 3 and config["model_config"]["n_filters"] == 8
    # the original record stays; the resume is appended to it
    assert (config["created"], config["command"]) == (original["created"], original["command"])
    assert len(config["resumed"]) == 1 and {"at", "command", "versions"} <= set(config["resumed"][0])
    # and the record is still a valid --config file
    recorded_model, _, recorded_training = train_cli.settings_from_file(out / "config.json")
    assert recorded_model == MODEL and recorded_training["epochs"] == 3


def test_resume_accepts_a_record_written_before_a_config_field_existed(tiny_dataset, tmp_path):
    out = tmp_path / "old-record"

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    old_model = {**SMALL, "dense_batch_norm": False}  # what every model was before the field
    with pytest.raises(KeyboardInterrupt):
        train(tiny_dataset, MODEL, out, overrides=old_model, training={"epochs": 2, "seed": 2},
              quiet=True, callbacks=[Interrupt()])
    config = json.loads((out / "config.json").read_text())
    del config["model_config"]["dense_batch_norm"]  # as an earlier version recorded it
    (out / "config.json").write_text(json.dumps(config))
    # the record reads back as the model it described, not as today's default
    _, overrides, _ = train_cli.settings_from_file(out / "config.json")
    assert overrides["dense_batch_norm"] is False
    with pytest.raises(InputError, match="model_config differs"):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 2, "seed": 2},
              quiet=True, resume=True)
    metrics = train(tiny_dataset, MODEL, out, overrides=old_model, training={"epochs": 2, "seed": 2},
                    quiet=True, resume=True)
    assert metrics["status"] == "complete"


def test_killed_before_first_epoch_is_not_resumable_nor_complete(tiny_dataset, tmp_path):
    out = tmp_path / "killed"

    class Die(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 2}, quiet=True,
              callbacks=[Die()])
    assert rundir.run_status(out) == "incomplete"
    with pytest.raises(InputError, match="no checkpoint"):
        train(tiny_dataset, MODEL, out, overrides=SMALL, training={"epochs": 2}, quiet=True, resume=True)


# ---------------------------------------------------------------- divergence
def test_diverging_run_fails_with_exit_1(tiny_dataset, tiny_data_file, tmp_path, capsys, monkeypatch):
    # a NaN label makes the loss (and then the weights) NaN, like a blown-up run
    poisoned = SimpleNamespace(**{k: getattr(tiny_dataset, k) for k in (
        "x_train", "x_valid", "x_test", "y_valid", "y_test", "task_names", "path")})
    poisoned.y_train = tiny_dataset.y_train.astype(np.float32)
    poisoned.y_train[0, 0] = np.nan
    monkeypatch.setattr(simulate, "load", lambda path: poisoned)
    out = tmp_path / "nan"
    code, _, err = main_in_process(["--data", str(tiny_data_file), "--model", MODEL, *SMALL_FLAGS,
                                    "--epochs", "3", "--quiet", "--out", str(out)], capsys)
    assert code == 1
    assert "diverged" in err and "Traceback" not in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "nan" in metrics["reason"]
    assert metrics["epochs_run"] == 1  # stopped at once, did not run 3 epochs
    assert rundir.run_status(out) == "failed" and not rundir.is_complete(out)
    assert not (out / "model.keras").exists()
