"""The lowest floor's shared helpers: atomic files, the overwrite guard, one-hot encoding, typed fields."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest

import simulate
from simulate.errors import InputError
from simulate.files import atomic_directory, atomic_write_json, check_replaceable, read_json, refuse_existing
from simulate.validate import check_fields, check_one_hot, check_ppm


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(target, {"a": object()})  # not serialisable: fails mid-way
    assert read_json(target) == {"a": 1}  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


def test_atomic_directory_replaces_only_on_success(tmp_path):
    out = tmp_path / "result"
    with atomic_directory(out) as tmp:
        (tmp / "a.txt").write_text("first")
    assert (out / "a.txt").read_text() == "first"
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "a.txt").write_text("second")
            raise RuntimeError("interrupted")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


def test_overwrite_guards(tmp_path):
    existing = tmp_path / "x.h5"
    existing.write_text("data")
    with pytest.raises(InputError, match="pass --force"):
        refuse_existing(existing, force=False)
    refuse_existing(existing, force=True)
    refuse_existing(tmp_path / "new.h5", force=False)
    (tmp_path / "mine.json").write_text("{}")
    check_replaceable(tmp_path, ["mine.json", "x.h5"])
    with pytest.raises(InputError, match="x.h5"):
        check_replaceable(tmp_path, ["mine.json"])


def test_encode_decode_round_trip_and_rejects_other_letters():
    x = simulate.encode(["ACGT", "ttga"])
    assert x.shape == (2, 4, 4) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[0], np.eye(4, dtype=np.uint8))
    assert list(simulate.decode(x)) == ["ACGT", "TTGA"]
    assert simulate.decode(x[1]) == "TTGA"
    with pytest.raises(InputError, match="'N' at position 2"):
        simulate.encode(["ACNT"])
    with pytest.raises(InputError, match="differ in length"):
        simulate.encode(["ACG", "ACGT"])


def test_one_hot_and_ppm_checks_name_the_problem():
    check_one_hot(simulate.encode(["ACGT"]))
    bad = simulate.encode(["ACGT"]).astype(float)
    bad[0, 2] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="sequence 0, position 2"):
        check_one_hot(bad)
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        check_one_hot(np.zeros((2, 5)))
    ppm = check_ppm([[0.5, 0.5, 0, 0], [0.2499, 0.25, 0.25, 0.25]])  # within the 1e-3 tolerance
    np.testing.assert_allclose(ppm.sum(axis=1), 1.0)
    with pytest.raises(InputError, match="rows must sum to 1"):
        check_ppm([[0.5, 0.4, 0, 0]])


def test_check_fields_names_the_wrong_field():
    @dataclass(frozen=True)
    class Settings:
        n: int = 1
        rate: float = 0.5
        flag: bool = False
        label: Optional[str] = None

        def __post_init__(self):
            check_fields(self, "setting")

    Settings(n=2, rate=1, label="x")  # an int is an acceptable float
    for bad, name in (({"n": 1.5}, "'n'"), ({"n": True}, "'n'"), ({"rate": "fast"}, "'rate'"),
                      ({"flag": 1}, "'flag'"), ({"label": 3}, "'label'")):
        with pytest.raises(InputError, match=f"setting {name} must be"):
            Settings(**bad)
