"""The results database of a sweep: ``OUT/results.sqlite`` (the standard library's sqlite3).

Written only by the driver; the cell directories stay the source of truth and
:func:`rebuild` recreates the database from them, row for row. Tables:

``cells``
    One row per cell: ``cell_id`` (primary key), ``name``, ``model``, ``seed``,
    ``status`` (complete, failed, pending, interrupted, running), ``reason``,
    one ``axis_<name>`` column per axis (the value's label), the test metrics
    ``test_auroc``, ``test_aupr`` (macro), ``test_auroc_pooled``,
    ``test_aupr_pooled`` (the paper's), the scores at threshold 0.1
    ``glifac_auroc``, ``glifac_aupr``, ``glifac_snr``, ``local_auroc``,
    ``local_aupr``, ``local_tpr``, ``local_ppv``, and ``epochs``, ``seconds``,
    ``host``.
``scores``
    One row per cell x method x threshold with every numeric score
    ``glifac interpret`` writes (columns :data:`SCORE_COLUMNS`, NULL where a
    method has none) and ``extra``, a JSON object of the rest (ranks, found pairs).
    Cells that ran ``glifac localise`` add one row per importance source:
    method ``localise_<source>``, threshold NULL, threshold_label ``"none"``,
    ``auroc`` the mean localisation AUROC (``extra``: its sd, the mean over
    positive sequences, the number of sequences, distinct scores per sequence).
"""
from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

DB_FILE = "results.sqlite"
HEADLINE = 0.1
CELL_COLUMNS = ("cell_id", "name", "model", "seed", "status", "reason", "test_accuracy", "test_auroc", "test_aupr",
                "test_auroc_pooled", "test_aupr_pooled", "glifac_auroc", "glifac_aupr", "glifac_snr",
                "local_auroc", "local_aupr", "local_tpr", "local_ppv", "epochs", "seconds", "host")
SCORE_COLUMNS = ("auroc", "aupr", "aupr_trapezoid", "snr", "snr_ratio_of_means", "snr_top100", "auroc_authors",
                 "aupr_authors", "n_pos", "n_neg", "mean_pos", "mean_neg", "n_pairs", "n_random_pairs", "tpr",
                 "ppv", "ppv_all_labelled", "ppv_all_instances", "n_instances", "motif_auroc", "motif_aupr",
                 "motif_auroc_vs_decoys")


def cell_rows(cell, cell_dir: Path) -> dict:
    """``{"cell": {...}, "scores": [...]}`` for one cell, read from its directory."""
    record = _read(cell_dir / "cell.json")
    run_dir = cell_dir / "run"
    from glifac.sweep.cell import cell_status

    row = {key: None for key in CELL_COLUMNS}
    row.update(cell_id=cell.cell_id, name=cell.name, model=cell.model, seed=cell.seed,
               status=cell_status(cell_dir), reason=record.get("reason"), host=record.get("host"),
               seconds=record.get("seconds"))
    row.update({f"axis_{axis}": label for axis, label in cell.axes.items()})
    metrics = _read(run_dir / "metrics.json")
    for key in ("test_accuracy", "test_auroc", "test_aupr", "test_auroc_pooled", "test_aupr_pooled"):
        row[key] = _number(metrics.get(key))
    row["epochs"] = metrics.get("epochs_run")
    scores = _read(run_dir / "interpret" / "scores.json")
    score_rows = []
    for method, rows in scores.items():
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict) or "threshold" not in rows[0]:
            continue
        for r in rows:
            values = {key: _number(r.get(key)) for key in SCORE_COLUMNS}
            extra = {k: v for k, v in r.items() if k not in SCORE_COLUMNS and k not in ("threshold",
                                                                                         "threshold_label")}
            score_rows.append({"cell_id": cell.cell_id, "method": method, "threshold": _number(r["threshold"]),
                               "threshold_label": r.get("threshold_label"), **values,
                               "extra": json.dumps(extra, sort_keys=True)})
    for source, values in (_read(run_dir / "localisation.json").get("sources") or {}).items():
        extra = {k: v for k, v in values.items() if k != "auroc"}
        score_rows.append({"cell_id": cell.cell_id, "method": f"localise_{source}", "threshold": None,
                           "threshold_label": "none", **{key: None for key in SCORE_COLUMNS},
                           "auroc": _number(values.get("auroc")), "extra": json.dumps(extra, sort_keys=True)})
    for method, keys in (("glifac", ("auroc", "aupr", "snr")), ("local", ("auroc", "aupr", "tpr", "ppv"))):
        headline = [r for r in score_rows if r["method"] == method and r["threshold_label"] is not None
                    and r["threshold"] is not None and abs(r["threshold"] - HEADLINE) < 1e-9
                    and not str(r["threshold_label"]).startswith("null")]
        if headline:
            for key in keys:
                row[f"{method}_{key}"] = headline[0][key]
    return {"cell": row, "scores": score_rows}


def connect(path: Path, axes) -> sqlite3.Connection:
    """Open (creating the tables if needed) the database of a sweep with these axis names."""
    con = sqlite3.connect(str(path))
    axis_columns = "".join(f', "axis_{a}" TEXT' for a in axes)
    types = {"cell_id": "TEXT PRIMARY KEY", "name": "TEXT", "model": "TEXT", "status": "TEXT", "reason": "TEXT",
             "host": "TEXT", "seed": "INTEGER", "epochs": "INTEGER"}
    cells = ", ".join(f'"{c}" {types.get(c, "REAL")}' for c in CELL_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS cells ({cells}{axis_columns})")
    scores = ", ".join(f'"{c}" REAL' for c in SCORE_COLUMNS)
    con.execute(f'CREATE TABLE IF NOT EXISTS scores (cell_id TEXT, method TEXT, threshold REAL, '
                f'threshold_label TEXT, {scores}, extra TEXT, PRIMARY KEY (cell_id, method, threshold_label))')
    return con


def store(con: sqlite3.Connection, rows: dict) -> None:
    """Insert or replace one cell's rows (one transaction)."""
    cell = rows["cell"]
    with con:
        columns = list(cell)
        con.execute(f"INSERT OR REPLACE INTO cells ({', '.join(repr(c) for c in columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})", [cell[c] for c in columns])
        con.execute("DELETE FROM scores WHERE cell_id = ?", (cell["cell_id"],))
        for row in rows["scores"]:
            columns = list(row)
            con.execute(f"INSERT OR REPLACE INTO scores ({', '.join(repr(c) for c in columns)}) "
                        f"VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns])


def rebuild(root: Path, cells, axes) -> Path:
    """Recreate ``results.sqlite`` from the cell directories (under a temporary name, then renamed)."""
    from simulate.files import atomic_path

    path = Path(root) / DB_FILE
    with atomic_path(path, suffix=".sqlite") as tmp:
        tmp.unlink()
        con = connect(tmp, axes)
        try:
            for cell in cells:
                store(con, cell_rows(cell, cell.directory(root)))
        finally:
            con.close()
    return path


def dump(path: Path) -> dict:
    """Every row of both tables, sorted (for comparisons and tests)."""
    con = sqlite3.connect(str(path))
    try:
        con.row_factory = sqlite3.Row
        return {table: sorted((dict(r) for r in con.execute(f"SELECT * FROM {table}")),
                              key=lambda r: json.dumps(r, sort_keys=True, default=str))
                for table in ("cells", "scores")}
    finally:
        con.close()


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
