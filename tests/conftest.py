"""Fixtures shared by the test modules: tiny simulated datasets and a tiny trained run.

Plain helper functions (encoders, the small model settings) are in ``tests/_helpers.py``.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(scope="session")
def tiny_data_file(tmp_path_factory):
    """400 sequences of 120 nt with the paper's grammar: a training epoch takes well under a second."""
    import simulate

    path = tmp_path_factory.mktemp("data") / "tiny.h5"
    simulate.make_dataset(path, n=400, seed=0, length=120)
    return path


@pytest.fixture(scope="session")
def tiny_dataset(tiny_data_file):
    import simulate

    return simulate.load(tiny_data_file)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """``(root, data file, run directory)``: 1,500 sequences of 200 nt and a small CNN20-Exp
    trained for one epoch through the command line, for the interpretation tests."""
    import subprocess
    import sys

    from _helpers import SMALL_FLAGS

    import simulate

    root = tmp_path_factory.mktemp("interpret")
    data = simulate.make_dataset(root / "data.h5", n=1500, seed=0)
    run_dir = root / "run"
    result = subprocess.run([sys.executable, "-m", "glifac", "train", "--data", str(data), "--model", "CNN20-Exp",
                             "--epochs", "1", *SMALL_FLAGS, "--out", str(run_dir), "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return root, data, run_dir
