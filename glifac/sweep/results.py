"""Read a sweep's results: the one loader the figure notebooks use.

::

    from glifac.sweep.results import SweepResults
    results = SweepResults("sweeps/small")        # a finished (or partly finished) sweep directory
    results.cells                                 # pandas DataFrame: one row per cell (database table cells)
    results.scores                                # pandas DataFrame: cell x method x threshold (table scores)
    results.maps(cell_id)                         # the cell's maps.h5 (glifac.interpretation.read_maps)
    results.scores_json(cell_id)                  # the cell's scores.json

Rows come from ``results.sqlite``, rebuilt from the cell directories when it is
missing (the directories are the source of truth). :func:`ensure_sweep` runs a
grid that is not complete yet, or only names the command (``run=False``).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from simulate.errors import InputError


class SweepResults:
    """The results of the sweep in ``out`` (see the module docstring)."""

    def __init__(self, out):
        from glifac.sweep import database
        from glifac.sweep.driver import load_manifest

        self.out = Path(out)
        self.grid, cells = load_manifest(self.out)
        self._cells = {c.cell_id: c for c in cells}
        path = self.out / database.DB_FILE
        if not path.is_file():
            database.rebuild(self.out, cells, list(self.grid.get("axes", {})))
        self.database = path
        self.cells = self._query("SELECT * FROM cells")
        self.scores = self._query("SELECT * FROM scores")

    def _query(self, sql: str):
        import pandas as pd

        con = sqlite3.connect(str(self.database))
        try:
            return pd.read_sql_query(sql, con)
        finally:
            con.close()

    def query(self, sql: str):
        """Any SQL over the tables ``cells`` and ``scores``, as a DataFrame."""
        return self._query(sql)

    def complete(self):
        """The rows of complete cells."""
        return self.cells[self.cells["status"] == "complete"]

    def cell(self, cell_id: str):
        """The :class:`glifac.sweep.cell.Cell` (resolved settings) of a cell id."""
        return self._cells[cell_id]

    def run_dir(self, cell_id: str) -> Path:
        return self._cells[cell_id].directory(self.out) / "run"

    def maps(self, cell_id: str) -> dict:
        """The cell's ``maps.h5`` as arrays (layout: glifac.interpretation.outputs)."""
        from glifac.interpretation import read_maps

        return read_maps(self.run_dir(cell_id) / "interpret" / "maps.h5")

    def scores_json(self, cell_id: str) -> dict:
        from simulate.files import read_json

        return read_json(self.run_dir(cell_id) / "interpret" / "scores.json")


def ensure_sweep(grid: str, out, run: bool = True, workers: int = 2, threads_per_worker: int = 1,
                 quiet: bool = True, ray=None) -> SweepResults:
    """The results of ``grid`` in ``out``, running the cells that are not complete first.

    With ``run=False`` an incomplete sweep raises InputError naming the command that would run it;
    ``ray`` (an address, or True) runs the cells on Ray.
    """
    from glifac.sweep import load_grid, run_sweep
    from glifac.sweep.cell import cell_status
    from glifac.sweep.driver import MANIFEST, load_manifest

    out = Path(out)
    command = f"glifac sweep run {grid} --out {out} --workers {workers} --threads-per-worker {threads_per_worker}"
    done = False
    if (out / MANIFEST).is_file():
        _, cells = load_manifest(out)
        done = all(cell_status(c.directory(out)) in ("complete", "failed") for c in cells)
    if not done:
        if not run:
            raise InputError(f"{out} does not hold a finished sweep of {grid}; run: {command}")
        run_sweep(load_grid(grid), out, workers=workers, threads_per_worker=threads_per_worker, quiet=quiet,
                  ray=ray)
    return SweepResults(out)
