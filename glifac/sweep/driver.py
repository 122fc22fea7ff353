"""Run a grid: plan its cells, run them on a local pool of workers or on Ray, keep the database.

The driver never imports TensorFlow: cells run in worker processes (a local
``spawn`` pool, or Ray tasks), each capping TensorFlow at ``threads`` threads
before its first op. Re-running the same command continues: complete cells
are reused, interrupted ones resume from their checkpoint, failed ones stay
failed unless ``retry_failed``. Pool workers die with the driver (Linux
``PR_SET_PDEATHSIG``) and every cell holds a lock while it runs, so killing the
driver never leaves two workers on one cell, nor an incomplete cell that
looks complete.

``OUT/`` holds ``sweep.json`` (the grid and its resolved cells), ``data/`` (a
simulated dataset, when the grid simulates), ``cells/`` (one directory per
cell, :mod:`glifac.sweep.cell`) and ``results.sqlite`` (:mod:`glifac.sweep.database`).

Data on a cluster: a grid with ``[data] path`` needs that path on every node
(a shared file system); a grid with simulate arguments records them in every
cell, and a node that lacks the file regenerates it, identical by seed, and
checks its SHA-256 before training.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from glifac.sweep.cell import Cell, cell_status, make_cell
from glifac.sweep.grid import Grid
from simulate.errors import InputError

MANIFEST = "sweep.json"


@dataclass(frozen=True)
class SweepResult:
    """Counts of cells by status after :func:`run_sweep`, and where the database is."""

    out: Path
    counts: dict
    database: Path
    seconds: float


# ---------------------------------------------------------------- planning
def plan(grid: Grid, out, force: bool = False, record: bool = True) -> list[Cell]:
    """Resolve the grid's data and cells and record them in ``OUT/sweep.json``.

    Raises
    ------
    InputError
        ``out`` holds another grid's sweep (pass ``force``), or a data problem.
    """
    from architectures.presets import resolve_config
    from glifac.interpretation.config import InterpretConfig
    from glifac.training.config import objective_problem, recipe_config
    from simulate.files import atomic_write_json, read_json

    out = Path(out)
    manifest_path = out / MANIFEST
    if record and not manifest_path.is_file() and out.exists() and (not out.is_dir() or any(out.iterdir())) \
            and not force:
        raise InputError(f"{out} exists and holds no sweep; choose another --out or pass --force")
    data = _data(grid, out, simulate_into=out if record else None)
    cells, skipped = [], []
    seen = set()
    for model in grid.models:
        for seed in grid.seeds:
            for combination in grid.combinations():
                overrides = {**grid.model, **{k: v for a in combination.values() for k, v in a.model.items()}}
                overrides.update(input_length=data["length"], n_tasks=data["n_tasks"])
                model_config = resolve_config(model, **overrides)
                settings = {**grid.training,
                            **{k: v for a in combination.values() for k, v in a.training.items()}, "seed": seed}
                training = recipe_config(settings.pop("recipe", "fast"), **settings)
                interpret = InterpretConfig(**{**grid.interpret, "seed": seed})
                axes = {name: value.label for name, value in combination.items()}
                if objective_problem(model_config, training):
                    skipped.append(f"{model} {axes}: masking by attention needs an attention layer")
                    continue
                if "interpret" in grid.evaluate and not model_config.has_attention:
                    raise InputError(f"{grid.name}: {model} has no attention layer to interpret; "
                                     "set evaluate = [\"localise\"] in the grid")
                cell = make_cell(model, seed, axes, data, model_config, training, interpret, grid.evaluate)
                if cell.cell_id not in seen:  # one-at-a-time grids meet the base more than once
                    seen.add(cell.cell_id)
                    cells.append(cell)
    # the cells and their axis labels: a renamed axis is another grid (another database layout)
    grid_hash = hashlib.sha256(json.dumps([grid.name, [[c.cell_id, c.axes] for c in cells]],
                                          sort_keys=True).encode()).hexdigest()[:12]
    if manifest_path.is_file():
        old = read_json(manifest_path)
        if old.get("grid_hash") != grid_hash and not force:
            raise InputError(f"{out} holds the sweep of another grid ({old.get('grid', {}).get('name')!r}, "
                             f"{len(old.get('cells', []))} cells); pass --force to run this one there")
    if not record:
        return cells
    from glifac.rundir import package_versions, utc_now

    atomic_write_json(manifest_path, {
        "grid": {"name": grid.name, "source": grid.source, "mode": grid.mode, "models": list(grid.models),
                 "seeds": list(grid.seeds), "axes": {a: [v.label for v in vs] for a, vs in grid.axes.items()},
                 "data": grid.data, "model": grid.model, "train": grid.training, "interpret": grid.interpret,
                 "evaluate": list(grid.evaluate)},
        "grid_hash": grid_hash, "created": utc_now(), "versions": package_versions(),
        "cells": [c.to_dict() for c in cells], "skipped": sorted(set(skipped)),
    })
    return cells


def load_manifest(out) -> tuple[dict, list[Cell]]:
    """``(grid record, cells)`` of the sweep in ``out``."""
    from simulate.files import read_json

    path = Path(out) / MANIFEST
    if not path.is_file():
        raise InputError(f"{out} holds no sweep (no {MANIFEST}); start one with glifac sweep run")
    manifest = read_json(path)
    return manifest["grid"], [Cell(**c) for c in manifest["cells"]]


def _data(grid: Grid, out: Path, simulate_into: Path | None) -> dict:
    """``{path, sha256, length, n_tasks[, simulate]}`` of the grid's dataset.

    A simulated dataset is written to ``OUT/data/`` (``simulate_into``); with None (a dry run) it is
    simulated into a temporary folder only to learn its checksum (the bytes are identical by seed).
    """
    import tempfile

    import simulate

    if "path" in grid.data:
        path = Path(grid.data["path"]).resolve()
        return _data_record(path, None)
    spec = {"n": grid.data["n"], "seed": grid.data.get("seed", 0), "length": grid.data.get("length", 200),
            "grammar": grid.data.get("grammar", "paper")}
    name = f"sim_n{spec['n']}_seed{spec['seed']}_{Path(spec['grammar']).stem}_L{spec['length']}.h5"
    path = (out / "data" / name).resolve()
    if path.is_file() or simulate_into is not None:
        if not path.is_file():
            simulate.make_dataset(path, n=spec["n"], seed=spec["seed"], length=spec["length"],
                                  grammar=spec["grammar"])
        return _data_record(path, spec)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = simulate.make_dataset(Path(tmp) / name, n=spec["n"], seed=spec["seed"], length=spec["length"],
                                        grammar=spec["grammar"])
        record = _data_record(scratch, spec)
    record["path"] = str(path)
    return record


def _data_record(path: Path, spec: dict | None) -> dict:
    import simulate
    from simulate.files import sha256_file

    dataset = simulate.load(path, splits=("test",))
    record = {"path": str(path), "sha256": sha256_file(path), "length": dataset.length, "n_tasks": dataset.n_tasks}
    if spec is not None:
        record["simulate"] = spec
    return record


# ---------------------------------------------------------------- running
def run_sweep(grid: Grid, out, *, workers: int = 1, threads_per_worker: int | None = None, ray=None,
              dry_run: bool = False, retry_failed: bool = False, force: bool = False,
              quiet: bool = False) -> SweepResult:
    """Run every cell of ``grid`` not yet complete; see the module docstring.

    Parameters
    ----------
    workers : int
        Cells run at once (local pool), or Ray's CPU count for a local Ray.
    threads_per_worker : int, optional
        TensorFlow threads per cell (default: cores // workers).
    ray : None, True or str
        None: the local pool. True: start a local Ray. A string: join the Ray cluster at that address.
    dry_run : bool
        Plan and print the cells; run nothing.
    """
    import os

    from glifac.sweep import database

    started = time.perf_counter()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if threads_per_worker is not None and threads_per_worker < 1:
        raise InputError(f"--threads-per-worker must be at least 1, got {threads_per_worker}")
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
    executor = None
    if ray is not None and not dry_run:
        executor = _RayExecutor(ray, workers, threads)  # fails (one line) before any planning work
    out = Path(out)
    try:
        cells = plan(grid, out, force=force, record=not dry_run)
        db_path = out / database.DB_FILE
        statuses = {c.cell_id: cell_status(c.directory(out)) for c in cells}
        todo = [c for c in cells if statuses[c.cell_id] not in ("complete",)
                and not (statuses[c.cell_id] == "failed" and not retry_failed)]
        if dry_run:
            for c in cells:
                axes_text = " ".join(f"{k}={v}" for k, v in c.axes.items())
                print(f"{statuses[c.cell_id]:<11} {c.name}  {axes_text}")
            print(f"{len(cells)} cells, {len(todo)} to run; nothing run (--dry-run)")
            return SweepResult(out, _counts(statuses), db_path, time.perf_counter() - started)
        # the database is derived data: it starts from what the cell directories say, in this grid's layout
        database.rebuild(out, cells, list(grid.axes))
        con = database.connect(db_path, list(grid.axes))
        progress = _Progress(len(cells), statuses, quiet)
        if todo:
            executor = executor or _PoolExecutor(workers, threads)
            try:
                for cell, rows in executor.run(todo, str(out), retry_failed):
                    if "cell" in rows:  # else another driver's worker holds the cell
                        database.store(con, rows)
                    statuses[cell.cell_id] = rows["cell"]["status"] if "cell" in rows else rows["status"]
                    progress.update(statuses)
            finally:
                executor.close()
        progress.done(statuses)
        con.close()
    except BaseException:
        if executor is not None:
            executor.close()
        raise
    return SweepResult(out, _counts(statuses), db_path, time.perf_counter() - started)


def _counts(statuses: dict) -> dict:
    """Cells per status."""
    counts: dict = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


class _Progress:
    """One line on stderr: cells complete / failed / pending, elapsed time and an ETA."""

    def __init__(self, total, statuses, quiet):
        self.total, self.quiet = total, quiet
        self.start = time.perf_counter()
        self.initial_done = sum(s in ("complete", "failed") for s in statuses.values())
        self.tty = sys.stderr.isatty()
        self.update(statuses)

    def update(self, statuses):
        if self.quiet:
            return
        done = sum(s in ("complete", "failed") for s in statuses.values())
        failed = sum(s == "failed" for s in statuses.values())
        elapsed = time.perf_counter() - self.start
        ran = done - self.initial_done
        eta = f", ETA {elapsed / ran * (self.total - done) / 60:.1f} min" if ran and done < self.total else ""
        text = (f"sweep: {done}/{self.total} cells done ({failed} failed), "
                f"elapsed {elapsed / 60:.1f} min{eta}")
        print(text.ljust(78), end="\r" if self.tty else "\n", file=sys.stderr, flush=True)

    def done(self, statuses):
        if not self.quiet and self.tty:
            print(file=sys.stderr)


class _PoolExecutor:
    """A local pool of ``workers`` spawned processes, each running cells on ``threads`` TensorFlow threads."""

    def __init__(self, workers: int, threads: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.threads, self.workers = threads, workers
        self._new_pool = lambda: ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
            initargs=(threads,), max_tasks_per_child=1)  # a fresh process, and TensorFlow, per cell
        self.pool = self._new_pool()

    def run(self, cells, root, retry_failed):
        """Yield ``(cell, rows)`` as cells finish. A worker that dies (out of memory, a crash) breaks the
        pool: it is rebuilt and the unfinished cells resubmitted; a cell outstanding in two such crashes
        is recorded as failed."""
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        from glifac.sweep.cell import run_cell, write_record
        from glifac.sweep.database import cell_rows

        crashes: dict = {}
        pending = list(cells)
        while pending:
            futures = {self.pool.submit(run_cell, c.to_dict(), root, self.threads, retry_failed): c
                       for c in pending}
            pending = []
            for future in as_completed(futures):
                cell = futures[future]
                try:
                    rows = future.result()
                except BrokenProcessPool:
                    crashes[cell.cell_id] = crashes.get(cell.cell_id, 0) + 1
                    if crashes[cell.cell_id] < 2:
                        pending.append(cell)
                        continue
                    write_record(cell, cell.directory(root), "failed", "its worker process died twice", None)
                    rows = cell_rows(cell, cell.directory(root))
                except Exception:  # noqa: BLE001 - recorded below, the sweep goes on
                    rows = _result(future.result, cell, root)
                yield cell, rows
            if pending:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)


def _result(get, cell, root) -> dict:
    """A worker's rows; a worker that raised leaves its cell interrupted (resumable), recorded with the reason."""
    from glifac.sweep.database import cell_rows

    try:
        return get()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - one broken cell must not stop the sweep
        rows = cell_rows(cell, cell.directory(root))
        rows["cell"]["reason"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return rows


def _worker_init(threads: int) -> None:
    """In each pool worker: die with the driver, and cap TensorFlow's threads before it starts."""
    import ctypes
    import os
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class _RayExecutor:
    """Ray core tasks, one per cell, each asking for ``threads`` CPUs; a local Ray or a cluster's."""

    def __init__(self, address, workers: int, threads: int):
        import os

        try:
            import ray
        except ImportError:
            raise InputError("--ray needs the ray package: pip install 'glifac[ray]'") from None
        self.ray, self.threads = ray, threads
        env = {"TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": str(threads),
               "TF_CPP_MIN_LOG_LEVEL": "3", "RAY_AUTH_MODE": "disabled"}
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        try:
            if address is True:
                ray.init(num_cpus=workers * threads, include_dashboard=False, log_to_driver=False,
                         runtime_env={"env_vars": env}, object_store_memory=100 * 1024 * 1024)
            else:
                _check_reachable(address)
                ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env})
                largest = max((n.get("Resources", {}).get("CPU", 0) for n in ray.nodes() if n.get("Alive")),
                              default=0)
                if threads > largest:
                    ray.shutdown()
                    raise InputError(f"--threads-per-worker {threads}: the largest node of the Ray cluster has "
                                     f"{largest:g} CPUs, so no cell could ever be scheduled")
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to start or join is bad input here
            raise InputError(f"cannot start or join Ray ({type(exc).__name__}: {str(exc).splitlines()[0]})") \
                from None

    def run(self, cells, root, retry_failed):
        from glifac.sweep.cell import run_cell

        # a fresh worker process per cell, as in the local pool
        remote = self.ray.remote(num_cpus=self.threads, max_retries=0, max_calls=1)(run_cell)
        pending = {remote.remote(c.to_dict(), root, self.threads, retry_failed): c for c in cells}
        while pending:
            ready, _ = self.ray.wait(list(pending), num_returns=1)
            cell = pending.pop(ready[0])
            yield cell, _result(lambda: self.ray.get(ready[0]), cell, root)

    def close(self):
        if self.ray.is_initialized():
            self.ray.shutdown()


def _check_reachable(address: str) -> None:
    """One line, exit 2, when a Ray address cannot be reached within 5 s."""
    import socket

    target = address.split("://")[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray {address}: expected HOST:PORT of a Ray head node")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as exc:
        raise InputError(f"--ray {address}: cannot reach the Ray head node ({exc})") from None


# ---------------------------------------------------------------- reading a sweep
def sweep_status(out) -> dict:
    """Cells complete, failed (with reasons), running, interrupted and pending, and an estimate of the rest."""
    from simulate.files import read_json

    grid, cells = load_manifest(out)
    out = Path(out)
    by_status: dict = {}
    seconds = []
    reasons = {}
    for cell in cells:
        status = cell_status(cell.directory(out))
        by_status.setdefault(status, []).append(cell.name)
        record_path = cell.directory(out) / "cell.json"
        if record_path.is_file():
            record = read_json(record_path)
            if status == "complete" and record.get("seconds"):
                seconds.append(record["seconds"])
            if status == "failed":
                reasons[cell.name] = record.get("reason")
    remaining = len(cells) - len(by_status.get("complete", [])) - len(by_status.get("failed", []))
    mean = sum(seconds) / len(seconds) if seconds else None
    return {"grid": grid["name"], "cells": len(cells), "by_status": by_status, "failed_reasons": reasons,
            "mean_cell_seconds": mean, "remaining_cells": remaining,
            "remaining_cell_hours": None if mean is None else mean * remaining / 3600}


def sweep_table(out, by=None, rebuild: bool = False) -> list[dict]:
    """Mean ± sd over seeds of every headline metric, grouped ``by`` columns (default: model and every axis)."""
    import sqlite3
    import statistics

    from glifac.sweep import database

    grid, cells = load_manifest(out)
    axes = list(grid.get("axes", {}))
    path = Path(out) / database.DB_FILE
    if rebuild or not path.is_file():
        database.rebuild(out, cells, axes)
    by = by or ["model", *(f"axis_{a}" for a in axes)]
    by = [b if b in ("model", "seed") or b.startswith("axis_") else f"axis_{b}" for b in by]
    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in con.execute("SELECT * FROM cells")]
    finally:
        con.close()
    for b in by:
        if rows and b not in rows[0]:
            raise InputError(f"--by {b.removeprefix('axis_')}: not a column (model, seed or an axis: "
                             f"{', '.join(axes) or 'none'})")
    metrics = [c for c in database.CELL_COLUMNS if c.startswith(("test_", "glifac_", "local_"))]
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[b] for b in by), []).append(row)
    order = {c.cell_id: k for k, c in enumerate(cells)}
    table = []
    for key, members in sorted(groups.items(), key=lambda kv: min(order[m["cell_id"]] for m in kv[1])):
        entry = dict(zip(by, key))
        done = [m for m in members if m["status"] == "complete"]
        entry["n"] = len(done)
        entry["n_cells"] = len(members)
        for metric in metrics:
            values = [m.get(metric) for m in done if m.get(metric) is not None]  # older databases lack new columns
            entry[metric] = (statistics.mean(values) if values else None,
                             statistics.stdev(values) if len(values) > 1 else None)
        table.append(entry)
    return table
