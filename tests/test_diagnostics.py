"""Bad input to the diagnostic scripts in docs/investigations/: one line, exit 2, no traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "docs" / "investigations" / script), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("script", ["strand_sensitivity.py", "bn_statistics.py", "generalization_gap.py"])
def test_missing_run_is_one_line_exit_2(script, tmp_path):
    option = "--runs" if script == "generalization_gap.py" else "--run"
    result = _run(script, option, str(tmp_path / "no-such-run"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: run directory not found: {tmp_path / 'no-such-run'}"]
    assert not (tmp_path / "no-such-run").exists()


@pytest.mark.parametrize("script, option", [("strand_sensitivity.py", "--run"), ("generalization_gap.py", "--runs")])
def test_incomplete_run_is_refused(script, option, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / ".incomplete").write_text("")
    result = _run(script, option, str(run))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: run {run} is incomplete, not complete"]


def test_generalization_gap_refuses_a_bad_n(tmp_path):
    result = _run("generalization_gap.py", "--runs", str(tmp_path), "--n", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: --n must be at least 1, got 0"]
