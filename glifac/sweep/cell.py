"""One cell of a sweep: (data, model config, training config, interpret config, seed), fully resolved.

A cell is identified by a stable hash of its resolved settings and the data's
SHA-256, and lives in ``OUT/cells/<model>-s<seed>-<hash>/``::

    run/            the training run directory (glifac.rundir), with run/interpret/
    cell.log        everything the cell printed, appended across attempts
    cell.json       written last: cell id, status, host, seconds (the cell is done)
    .lock           held (flock) while a worker runs the cell

:func:`run_cell` is what a worker executes: it trains (resuming an interrupted
run from its checkpoint), interprets, and returns the cell's database row. A
cell whose complete outputs exist is reused, never recomputed.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
import time
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from simulate.errors import InputError

CELLS_DIR = "cells"
CELL_FILE = "cell.json"
LOG_FILE = "cell.log"
LOCK_FILE = ".lock"
DEFAULT_EVALUATE = ("interpret",)


@dataclass(frozen=True)
class Cell:
    """A resolved cell (plain JSON-ready dicts, so it crosses process and Ray boundaries).

    Attributes
    ----------
    cell_id : str
        12 hex digits of the SHA-256 of the settings below.
    model : str
    seed : int
    axes : dict
        Axis name -> value label.
    data : dict
        ``path`` and ``sha256`` of the dataset file.
    model_config, training, interpret : dict
        ``ModelConfig.to_dict()``, ``TrainingConfig.to_dict()``, ``InterpretConfig.to_dict()``.
    evaluate : list of str
        What follows training: ``interpret`` and/or ``localise`` (:data:`glifac.sweep.grid.EVALUATIONS`).
    """

    cell_id: str
    model: str
    seed: int
    axes: dict
    data: dict
    model_config: dict
    training: dict
    interpret: dict
    evaluate: list = dataclasses.field(default_factory=lambda: list(DEFAULT_EVALUATE))

    @property
    def name(self) -> str:
        return f"{self.model}-s{self.seed}-{self.cell_id}"

    def directory(self, root) -> Path:
        return Path(root) / CELLS_DIR / self.name

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def make_cell(model: str, seed: int, axes: dict, data: dict, model_config, training, interpret,
              evaluate=DEFAULT_EVALUATE) -> Cell:
    """A :class:`Cell` from typed configs; its id hashes everything that changes its outputs."""
    # identity_dict leaves out fields added later at their neutral defaults, so ids made before stay valid
    identity = {"data_sha256": data["sha256"], "model_config": model_config.identity_dict(),
                "training": training.identity_dict(), "interpret": interpret.to_dict()}
    if sorted(evaluate) != sorted(DEFAULT_EVALUATE):
        identity["evaluate"] = sorted(evaluate)
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    return Cell(cell_id=digest, model=model, seed=seed, axes=dict(axes), data=dict(data),
                model_config=model_config.to_dict(), training=training.to_dict(), interpret=interpret.to_dict(),
                evaluate=list(evaluate))


def cell_status(cell_dir) -> str:
    """``complete``, ``failed``, ``running`` (locked by a live worker), ``interrupted`` or ``pending``."""
    cell_dir = Path(cell_dir)
    if not cell_dir.is_dir():
        return "pending"
    record = _read(cell_dir / CELL_FILE)
    if record.get("status") in ("complete", "failed"):
        return record["status"]
    if _locked(cell_dir / LOCK_FILE):
        return "running"
    return "interrupted"


def run_cell(cell: dict, root: str, threads: int | None = None, retry_failed: bool = False,
             echo: bool = False) -> dict:
    """Run one cell to completion in this process and return its database rows.

    Sets TensorFlow's thread pools to ``threads`` before TensorFlow starts, so
    call it in a fresh worker process (the pool and Ray run one cell per
    process). Output goes to the cell's ``cell.log``. A cell another worker
    holds is left alone (status ``running``). A cell that raises is recorded
    as failed with the exception as its reason (``--retry-failed`` runs it again).
    ``echo`` also shows the output (and interpretation's progress) on the console, as
    ``glifac demo`` does.
    """
    import fcntl

    cell = Cell(**cell)
    cell_dir = cell.directory(root)
    cell_dir.mkdir(parents=True, exist_ok=True)
    if _finished(cell_dir, retry_failed):
        return row_for(cell, cell_dir)
    with open(cell_dir / LOCK_FILE, "a") as lock:
        for attempt in range(10):  # a status check may hold the lock for a moment
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                time.sleep(0.2)
        else:
            return {"cell_id": cell.cell_id, "status": "running"}
        if _finished(cell_dir, retry_failed):  # another driver finished it while we waited
            return row_for(cell, cell_dir)
        (cell_dir / CELL_FILE).unlink(missing_ok=True)  # a failed cell being retried
        started = time.perf_counter()
        with open(cell_dir / LOG_FILE, "a") as log, _redirected(log, echo):
            print(f"== {time.strftime('%Y-%m-%d %H:%M:%S')} cell {cell.name} on {platform.node()}", flush=True)
            try:
                outcome = _train_and_interpret(cell, cell_dir, threads, quiet=not echo)
            except Exception as exc:  # noqa: BLE001 - recorded as the cell's failure, the sweep goes on
                import traceback

                traceback.print_exc()
                outcome = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        write_record(cell, cell_dir, outcome["status"], outcome.get("reason"), time.perf_counter() - started)
    return row_for(cell, cell_dir)


def write_record(cell: Cell, cell_dir: Path, status: str, reason: str | None, seconds: float | None) -> None:
    """Write ``cell.json``, the record that says the cell is done (complete or failed)."""
    from simulate.files import atomic_write_json

    atomic_write_json(cell_dir / CELL_FILE, {"cell_id": cell.cell_id, "name": cell.name, "status": status,
                                             "reason": reason, "host": platform.node(), "seconds": seconds,
                                             "cell": cell.to_dict()})


def _finished(cell_dir: Path, retry_failed: bool) -> bool:
    status = _read(cell_dir / CELL_FILE).get("status")
    return status == "complete" or (status == "failed" and not retry_failed)


def _train_and_interpret(cell: Cell, cell_dir: Path, threads, quiet: bool = True) -> dict:
    from glifac.runtime import limit_threads

    limit_threads(threads)
    from architectures.presets import config_from_dict
    from glifac import rundir
    from glifac.interpretation import InterpretConfig, interpret
    from glifac.interpretation.outputs import SCORES_FILE
    from glifac.localise import OUTPUT_FILE as LOCALISATION_FILE
    from glifac.localise import localise
    from glifac.training import TrainingConfig, train
    from glifac.training.checkpoint import has_checkpoint

    run_dir = cell_dir / "run"
    status = rundir.run_status(run_dir)
    if status != "complete":
        dataset = ensure_data(cell.data)
        resume = status == "incomplete" and has_checkpoint(run_dir)
        # a run killed before its first checkpoint, or a failed one being retried, starts over
        result = train(dataset, config_from_dict(cell.model_config), TrainingConfig(**cell.training), run_dir,
                       resume=resume, force=status != "missing" and not resume, quiet=False)
        if not result.complete:
            return {"status": "failed", "reason": result.metrics.get("reason")}
    if "interpret" in cell.evaluate and not (run_dir / "interpret" / SCORES_FILE).is_file():
        interpret(run_dir, InterpretConfig(**cell.interpret), run_dir / "interpret", data=cell.data["path"],
                  force=True, quiet=quiet)
    if "localise" in cell.evaluate and not (run_dir / LOCALISATION_FILE).is_file():
        localise(run_dir, data=cell.data["path"])
    return {"status": "complete"}


def ensure_data(data: dict):
    """Load the cell's dataset; where the file is missing (another node) but its simulate spec is
    recorded, regenerate it (identical by seed) and check its checksum."""
    import simulate
    from simulate.files import sha256_file

    path = Path(data["path"])
    if not path.is_file() and data.get("simulate"):
        spec = data["simulate"]
        simulate.make_dataset(path, n=spec["n"], seed=spec["seed"], length=spec["length"],
                              grammar=spec["grammar"], force=False)
    if not path.is_file():
        raise InputError(f"data file not found: {path}")
    if sha256_file(path) != data["sha256"]:
        raise InputError(f"{path} is not the dataset this cell was made for (SHA-256 differs)")
    return simulate.load(path)


def row_for(cell: Cell, cell_dir: Path) -> dict:
    """The cell's ``cells`` row and its ``scores`` rows, read from the cell directory (the source of truth)."""
    from glifac.sweep.database import cell_rows

    return cell_rows(cell, cell_dir)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _locked(path: Path) -> bool:
    import fcntl

    if not path.is_file():
        return False
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


class _Tee:
    """A text stream writing to several streams (the console and a cell's log)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()

    def isatty(self):
        return False


@contextlib.contextmanager
def _redirected(log, echo: bool = False):
    """Send Python's stdout and stderr (and file descriptors 1 and 2) to ``log`` for the block;
    with ``echo``, Python's output goes to the console too (file descriptors stay as they are)."""
    if echo:
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(old[0], log), _Tee(old[1], log)
        try:
            yield
        finally:
            log.flush()
            sys.stdout, sys.stderr = old
        return
    sys.stdout.flush(), sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    old = sys.stdout, sys.stderr
    try:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        yield
    finally:
        log.flush()
        sys.stdout, sys.stderr = old
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
