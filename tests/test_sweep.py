"""Grid sweeps: expansion and hashing, reuse, resume after killing the driver, failure isolation,
the database rebuilt from the cell directories, a real local Ray, and bad input."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glifac.sweep import database, grid_from_dict, load_grid, plan, run_sweep, shipped_grids
from glifac.sweep.cell import cell_status
from glifac.sweep.driver import load_manifest
from simulate.errors import InputError

TINY = """
name = "tiny"
models = ["CNN20-Exp"]
seeds = [0, 1]
[data]
n = 500
seed = 0
length = 120
[model]
n_filters = 8
dense_units = 16
num_heads = 2
key_dim = 8
[train]
epochs = {epochs}
[interpret]
thresholds = "0.1,0.5"
max_sequences = 100
"""


def spec(**changes) -> dict:
    import tomllib

    base = tomllib.loads(TINY.format(epochs=2))
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def sweep_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "glifac", "sweep", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


# ---------------------------------------------------------------- grids

def test_product_and_one_at_a_time_expansion():
    axes = {"num_heads": [1, 2, 4], "normalization": [{"label": "none", "layer_norm": "none"},
                                                      {"label": "LN", "layer_norm": "pre"}]}
    product = grid_from_dict(spec(axes=axes))
    assert len(product.combinations()) == 3 * 2
    labels = [tuple(v.label for v in c.values()) for c in product.combinations()]
    assert labels[0] == ("1", "none") and labels[-1] == ("4", "LN")  # deterministic order
    one = grid_from_dict(spec(axes=axes, mode="one-at-a-time"))
    combos = one.combinations()
    assert len(combos) == 1 + 3 + 2 and combos[0] == {}  # the base once, then one axis at a time
    assert all(len(c) == 1 for c in combos[1:])
    assert combos[4]["normalization"].model == {"layer_norm": None}  # "none" is TOML's missing null


def test_cell_ids_are_stable_and_change_with_any_setting(tmp_path):
    grid = grid_from_dict(spec(axes={"pool_size": [10, 20]}))
    first = plan(grid, tmp_path / "a")
    again = plan(grid, tmp_path / "b")
    assert [c.cell_id for c in first] == [c.cell_id for c in again]
    assert len({c.cell_id for c in first}) == 4 and first[0].name.startswith("CNN20-Exp-s0-")
    longer = plan(grid_from_dict({**spec(axes={"pool_size": [10, 20]}), "train": {"epochs": 3}}), tmp_path / "c")
    assert not {c.cell_id for c in first} & {c.cell_id for c in longer}
    # one-at-a-time grids meet the base more than once; it is kept once
    base_twice = grid_from_dict(spec(mode="one-at-a-time", axes={"pool_size": [20, 10], "num_heads": [2, 4]}))
    cells = plan(base_twice, tmp_path / "d")
    assert len(cells) == 2 * (1 + 1 + 1)  # per seed: the base (pool 20, 2 heads), pool 10, 4 heads


def test_shipped_grids_load_and_have_the_documented_size():
    assert set(shipped_grids()) >= {"paper", "appendix-e", "small"}
    paper = load_grid("paper")
    assert len(paper.models) == 9 and paper.seeds == tuple(range(10)) and paper.training["recipe"] == "paper"
    appendix = load_grid("appendix-e")
    assert appendix.mode == "one-at-a-time" and set(appendix.models) == {"CNN10-ReLU", "CNN10-Exp"}
    assert [v.label for v in appendix.axes["normalization"]] == ["none", "BN", "LN", "LN2", "BN+LN"]
    assert [v.label for v in appendix.axes["pool_size"]] == ["2", "5", "10", "20", "40"]


@pytest.mark.parametrize("text, needle", [
    ("name = 'x'\nmodels = [", "not valid TOML"),
    ("bogus = 1\n" + TINY.format(epochs=2), "unknown key 'bogus'"),
    (TINY.format(epochs=2) + "bogus = 1\n", "unknown [interpret] option 'bogus'"),
    (TINY.format(epochs=2).replace('"CNN20-Exp"', '"CNN7-Exp"'), "CNN7-Exp"),
    (TINY.format(epochs=2) + "[axes]\npool_width = [1, 2]\n", "pool_width"),
    (TINY.format(epochs=2).replace("epochs = 2", "epochs = 'two'"), "epochs"),
    (TINY.format(epochs=2) + "[axes]\nnum_heads = []\n", "empty"),
    (TINY.format(epochs=2).replace("n_filters = 8", "n_filters = 8.5"), "n_filters"),
    (TINY.format(epochs=2).replace("seeds = [0, 1]", "seeds = []"), "seeds"),
])
def test_bad_grids_exit_2_with_one_line_before_any_work(tmp_path, text, needle):
    grid = tmp_path / "bad.toml"
    grid.write_text(text)
    result = sweep_cli("run", grid, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- running

@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    grid_file = root / "tiny.toml"
    grid_file.write_text(TINY.format(epochs=2))
    result = sweep_cli("run", grid_file, "--out", root / "out", "--workers", "2", "--threads-per-worker", "1",
                       "--quiet")
    assert result.returncode == 0, result.stderr
    return root, grid_file


def test_complete_cells_are_reused_and_the_database_rebuilds_identically(tiny_sweep):
    root, grid_file = tiny_sweep
    out = root / "out"
    _, cells = load_manifest(out)
    assert all(cell_status(c.directory(out)) == "complete" for c in cells)
    logs = {c.cell_id: (c.directory(out) / "cell.log").read_text() for c in cells}
    live = database.dump(out / database.DB_FILE)
    assert len(live["cells"]) == 2 and all(r["status"] == "complete" and r["test_aupr"] > 0 for r in live["cells"])
    assert {r["method"] for r in live["scores"]} >= {"glifac", "local", "glifac_random", "cooccurrence"}
    again = sweep_cli("run", grid_file, "--out", out, "--quiet")
    assert again.returncode == 0, again.stderr
    assert {c.cell_id: (c.directory(out) / "cell.log").read_text() for c in cells} == logs  # nothing re-ran
    rebuilt = sweep_cli("table", out, "--rebuild")
    assert rebuilt.returncode == 0 and "CNN20-Exp" in rebuilt.stdout and "±" in rebuilt.stdout
    assert database.dump(out / database.DB_FILE) == live


def test_a_cell_gives_the_metrics_of_glifac_train_and_interpret(tiny_sweep, tmp_path):
    """The same cell trained and interpreted directly through the library, on one thread."""
    root, _ = tiny_sweep
    out = root / "out"
    _, cells = load_manifest(out)
    cell = cells[0]
    code = (
        "import json, sys\n"
        "from glifac.runtime import limit_threads\nlimit_threads(1)\n"
        "import simulate\nfrom architectures.presets import config_from_dict\n"
        "from glifac.training import TrainingConfig, train\n"
        "from glifac.interpretation import InterpretConfig, interpret\n"
        "cell = json.loads(sys.argv[1])\n"
        "ds = simulate.load(cell['data']['path'])\n"
        "run = train(ds, config_from_dict(cell['model_config']), TrainingConfig(**cell['training']), sys.argv[2],"
        " quiet=True)\n"
        "interpret(sys.argv[2], InterpretConfig(**cell['interpret']), quiet=True)\n"
        "print(json.dumps(run.metrics['test_aupr']))\n")
    result = subprocess.run([sys.executable, "-c", code, json.dumps(cell.to_dict()), str(tmp_path / "direct")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    swept = json.loads((cell.directory(out) / "run" / "metrics.json").read_text())
    assert json.loads(result.stdout) == swept["test_aupr"]
    direct_scores = json.loads((tmp_path / "direct" / "interpret" / "scores.json").read_text())
    swept_scores = json.loads((cell.directory(out) / "run" / "interpret" / "scores.json").read_text())
    assert direct_scores["glifac"] == swept_scores["glifac"]


def test_failed_cell_is_isolated_and_kept_failed_until_retried(tmp_path):
    grid_file = tmp_path / "nan.toml"
    grid_file.write_text(TINY.format(epochs=1).replace("seeds = [0, 1]", "seeds = [0]")
                         + "[axes]\nlearning_rate = [0.001, 1e12]\n")
    out = tmp_path / "out"
    result = sweep_cli("run", grid_file, "--out", out, "--workers", "2", "--threads-per-worker", "1", "--quiet")
    assert result.returncode == 1 and "1 complete, 1 failed" in result.stdout, result.stdout + result.stderr
    status = sweep_cli("status", out)
    assert "diverged" in status.stdout
    rows = database.dump(out / database.DB_FILE)["cells"]
    assert sorted(r["status"] for r in rows) == ["complete", "failed"]
    assert {r["axis_learning_rate"] for r in rows if r["status"] == "failed"} == {"1000000000000.0"}
    again = sweep_cli("run", grid_file, "--out", out, "--quiet")  # failed stays failed, nothing runs
    assert again.returncode == 1 and "1 failed" in again.stdout


def test_killing_the_driver_loses_no_complete_cell_and_a_rerun_resumes(tmp_path):
    """SIGKILL the driver while a cell trains: its worker dies with it, the cell stays incomplete
    (never looks complete), and the same command continues it from its checkpoint."""
    grid_file = tmp_path / "long.toml"
    # 60 epochs without early stopping: well over 10 s of training per cell, so the kill lands mid-training
    grid_file.write_text(TINY.format(epochs=60).replace("seeds = [0, 1]", "seeds = [0]")
                         .replace("epochs = 60", "epochs = 60\npatience = \"none\"")
                         + "[axes]\npool_size = [20, 10]\n")
    out = tmp_path / "out"
    driver = subprocess.Popen([sys.executable, "-m", "glifac", "sweep", "run", str(grid_file), "--out", str(out),
                               "--workers", "1", "--threads-per-worker", "1", "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    checkpoints = []
    while time.time() < deadline and not checkpoints:
        time.sleep(0.2)
        checkpoints = list(out.glob("cells/*/run/checkpoint/checkpoint.npz"))
    assert checkpoints, "no cell reached its first checkpoint"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    time.sleep(3)  # the worker gets SIGKILL from the kernel when its parent dies
    _, cells = load_manifest(out)
    statuses = {c.cell_id: cell_status(c.directory(out)) for c in cells}
    assert "complete" not in statuses.values() or all(
        (c.directory(out) / "run" / "metrics.json").is_file() for c in cells if statuses[c.cell_id] == "complete")
    assert list(statuses.values()).count("interrupted") >= 1 and "running" not in statuses.values()
    result = sweep_cli("run", grid_file, "--out", out, "--quiet", timeout=900)
    assert result.returncode == 0, result.stderr
    assert all(cell_status(c.directory(out)) == "complete" for c in cells)
    resumed = [c for c in cells if "resuming" in (c.directory(out) / "cell.log").read_text()]
    assert resumed, "the interrupted cell started over instead of resuming"


def test_output_directory_of_another_grid_is_refused(tiny_sweep, tmp_path):
    root, _ = tiny_sweep
    other = tmp_path / "other.toml"
    other.write_text(TINY.format(epochs=3))
    result = sweep_cli("run", other, "--out", root / "out")
    assert result.returncode == 2 and "another grid" in result.stderr and "--force" in result.stderr
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "a.txt").write_text("keep")
    result = sweep_cli("run", other, "--out", foreign)
    assert result.returncode == 2 and "holds no sweep" in result.stderr


def test_unreachable_ray_address_and_missing_ray_exit_2(tmp_path, monkeypatch, capsys):
    grid_file = tmp_path / "tiny.toml"
    grid_file.write_text(TINY.format(epochs=1))
    result = sweep_cli("run", grid_file, "--out", tmp_path / "out", "--ray", "127.0.0.1:9")
    assert result.returncode == 2 and "cannot reach" in result.stderr and not (tmp_path / "out").exists()
    from glifac.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    code = main(["sweep", "run", str(grid_file), "--out", str(tmp_path / "out"), "--ray"])
    assert code == 2 and "pip install" in capsys.readouterr().err


def test_a_local_ray_gives_the_metrics_of_the_local_pool(tiny_sweep, tmp_path):
    import ray  # noqa: F401  (the test extra installs it: a missing ray fails here, it is not skipped)
    root, grid_file = tiny_sweep
    env = {**os.environ, "RAY_TMPDIR": "/tmp", "RAY_AUTH_MODE": "disabled"}
    result = subprocess.run([sys.executable, "-m", "glifac", "sweep", "run", str(grid_file), "--out",
                             str(tmp_path / "ray"), "--ray", "--workers", "2", "--threads-per-worker", "1",
                             "--quiet"], capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr
    pool = database.dump(root / "out" / database.DB_FILE)["cells"]
    ray_rows = database.dump(tmp_path / "ray" / database.DB_FILE)["cells"]
    keys = ("cell_id", "test_auroc", "test_aupr", "test_aupr_pooled", "glifac_auroc", "local_auroc")
    assert [{k: r[k] for k in keys} for r in pool] == [{k: r[k] for k in keys} for r in ray_rows]
    con = sqlite3.connect(tmp_path / "ray" / database.DB_FILE)
    assert con.execute("SELECT COUNT(*) FROM scores").fetchone()[0] > 0
    con.close()


def test_run_sweep_validates_before_work(tmp_path):
    grid = grid_from_dict(spec())
    with pytest.raises(InputError, match="--workers"):
        run_sweep(grid, tmp_path / "x", workers=0)
    assert not (tmp_path / "x").exists()
    assert Path(tmp_path).is_dir()


def test_a_cell_that_raises_is_recorded_failed_with_its_reason(tmp_path):
    """An exception inside a cell (here: its data file is not the one it was made for) becomes a
    failed cell.json with the reason, not an endlessly retried interrupted cell."""
    from glifac.sweep.cell import run_cell

    cells = plan(grid_from_dict(spec()), tmp_path / "out")
    cell = cells[0].to_dict()
    cell["data"] = {**cell["data"], "sha256": "0" * 64}
    rows = run_cell(cell, str(tmp_path / "out"), threads=1)
    assert rows["cell"]["status"] == "failed" and "SHA-256 differs" in rows["cell"]["reason"]
    record = json.loads((tmp_path / "out" / "cells" / rows["cell"]["name"] / "cell.json").read_text())
    assert record["status"] == "failed" and "SHA-256" in record["reason"]
    assert "Traceback" in (tmp_path / "out" / "cells" / rows["cell"]["name"] / "cell.log").read_text()
