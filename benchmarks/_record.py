"""One home for a benchmark's result file: ``benchmarks/results/<name>.json``.

Every benchmark script ends with :func:`record`, so that each result says where, when and with
what it was measured. Layout of the file::

    {"benchmark": name,
     "results":   the script's own numbers (timings, ratios, targets),
     "arguments": the script's parsed arguments,
     "machine":   {"cpus": os.cpu_count(), "platform": ..., "load_1min": ...},
     "versions":  glifac.rundir.package_versions(),
     "created":   UTC time, ISO 8601,
     "command":   sys.argv}

It is written through a temporary name and a rename, so that an interrupted run leaves the
previous result in place.
"""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def record(name: str, results: dict, arguments=None) -> Path:
    """Write ``results`` with provenance to ``benchmarks/results/<name>.json``; return the path.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"attribution"``.
    results : dict
        The benchmark's numbers; NumPy scalars and NaN are converted as in every glifac JSON file.
    arguments : argparse.Namespace or dict, optional
        The parsed command-line arguments, recorded as given.
    """
    from glifac.rundir import package_versions, utc_now
    from simulate.files import atomic_write_json

    if arguments is not None and not isinstance(arguments, dict):
        arguments = vars(arguments)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on every platform
        load = None
    record_ = {"benchmark": name, "results": results, "arguments": arguments,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_1min": load},
               "versions": package_versions(), "created": utc_now(), "command": list(sys.argv)}
    RESULTS.mkdir(exist_ok=True)
    path = atomic_write_json(RESULTS / f"{name}.json", record_)
    print(f"results: {path}")
    return path
