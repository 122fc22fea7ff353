"""The ``glifac`` command: one entry point with every subcommand, plain help, light imports."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import simulate

GLIFAC = Path(sys.executable).parent / "glifac"  # the console script setup.cfg installs


def test_console_script_is_installed_and_lists_every_subcommand():
    result = subprocess.run([str(GLIFAC), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for command in ("simulate", "train", "interpret", "gia", "demo"):
        assert f"\n    {command}" in result.stdout, command
    assert "motif" in result.stdout and "`" not in result.stdout  # plain words, no reST markup
    assert result.stderr == ""


def test_glifac_simulate_equals_python_m_simulate_and_never_imports_tensorflow(tmp_path):
    probe = ("import sys\nfrom glifac.cli import main\ncode = main(sys.argv[1:])\n"
             "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\nsys.exit(code)")
    a = subprocess.run([sys.executable, "-c", probe, "simulate", "--n", "300", "--seed", "4", "--out",
                        str(tmp_path / "a.h5"), "--quiet"], capture_output=True, text=True, timeout=120)
    assert a.returncode == 0, a.stderr
    b = subprocess.run([sys.executable, "-m", "simulate", "--n", "300", "--seed", "4", "--out",
                        str(tmp_path / "b.h5"), "--quiet"], capture_output=True, text=True, timeout=120)
    assert b.returncode == 0, b.stderr
    first, second = simulate.load(tmp_path / "a.h5"), simulate.load(tmp_path / "b.h5")
    assert (first.x_train == second.x_train).all() and (first.y_test == second.y_test).all()


def test_library_packages_import_without_tensorflow():
    code = ("import sys, simulate, analysis, architectures, glifac, glifac.training, glifac.interpretation\n"
            "architectures.resolve_config('CNN20-Exp'); glifac.recipe_config('paper')\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("argv, needle", [
    (["frobnicate"], "invalid choice"),
    (["train"], "--data"),
    (["simulate", "--n", "ten"], "--n"),
    (["interpret", "--run", "nowhere", "--threads", "0"], "--threads"),
])
def test_argument_errors_are_one_line_with_exit_2(argv, needle):
    result = subprocess.run([str(GLIFAC), *argv], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr, result.stderr
