"""Run-directory helpers shared by ``train`` and ``interpret``.

A run directory is complete only when ``metrics.json`` says
``"status": "complete"`` *and* the ``.incomplete`` marker is gone. The marker
is written first and removed last, and every file is written under a
temporary name and renamed, so a run that is interrupted or killed at any
point never looks complete.

No TensorFlow/Keras import here: saving a model goes through the model's own
``save`` method.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from simulate.errors import InputError

INCOMPLETE_MARKER = ".incomplete"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.json"
# Files whose presence says "this directory was made by a glifac command".
_RUN_FILES = (INCOMPLETE_MARKER, METRICS_FILE, CONFIG_FILE)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# mkstemp creates 0600 files; renamed files get the usual umask mode
_FILE_MODE = 0o666 & ~_umask()


# ---------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary file lives in the same directory (same filesystem, so the
    rename is atomic) and is removed if the block raises.

    Parameters
    ----------
    path : str or Path
        Final destination.
    suffix : str
        Suffix the temporary name must end with (Keras wants ``.keras``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, obj) -> Path:
    """Write ``obj`` as strict JSON (NaN/inf become null) to ``path`` atomically."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def atomic_save_model(model, path) -> Path:
    """``model.save(path)`` through a temporary ``.keras`` file and a rename.

    Parameters
    ----------
    model : keras.Model
    path : str or Path
        Must end with ``.keras``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model path must end with .keras: {path}")
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)  # overwrites the empty placeholder
    return path


def to_jsonable(obj):
    """Recursively convert numpy scalars/arrays, Paths and NaN/inf for JSON."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy
        return to_jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def read_json(path) -> dict:
    """Read a JSON file; a missing or unreadable file raises InputError."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


# ------------------------------------------------------------- provenance
def sha256_file(path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names=("numpy", "scipy", "h5py", "scikit-learn", "keras", "tensorflow")) -> dict:
    """Versions of Python, glifac and ``names`` (``None`` when not installed).

    Imported modules report their ``__version__``; others are read from
    package metadata so that recording versions never imports TensorFlow.
    """
    from importlib import metadata

    from glifac._version import __version__

    versions = {"python": platform.python_version(), "platform": platform.platform(),
                "glifac": __version__}
    # distribution names that may provide a module (tensorflow ships as -cpu too)
    dists = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "scikit-learn": ("scikit-learn",)}
    modules = {"scikit-learn": "sklearn"}
    for name in names:
        module = sys.modules.get(modules.get(name, name))
        version = getattr(module, "__version__", None)
        for dist in dists.get(name, (name,)):
            if version is not None:
                break
            try:
                version = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
        versions[name] = version
    return versions


def utc_now() -> str:
    """Current UTC time, ISO 8601, second precision."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def write_config(run_dir, config: dict) -> Path:
    """Write ``config.json``: ``config`` plus ``versions``, ``created`` and ``command``."""
    record = {
        **config,
        "versions": package_versions(),
        "created": utc_now(),
        "command": list(sys.argv),
    }
    return atomic_write_json(Path(run_dir) / CONFIG_FILE, record)


def record_resume(run_dir, updates: dict) -> Path:
    """Apply ``updates`` to ``config.json`` and append the resume's time, command and versions
    to its ``resumed`` list, keeping the original ``created``, ``command`` and ``versions``."""
    path = Path(run_dir) / CONFIG_FILE
    record = read_json(path)
    record.update(updates)
    record.setdefault("resumed", []).append(
        {"at": utc_now(), "command": list(sys.argv), "versions": package_versions()})
    return atomic_write_json(path, record)


# ------------------------------------------------------------- run state
def run_status(run_dir) -> str:
    """State of a run directory.

    Returns
    -------
    str
        ``"missing"`` (no directory), ``"complete"``, ``"failed"`` (finished
        but diverged or otherwise failed; see ``metrics.json["reason"]``), or
        ``"incomplete"`` (in progress, interrupted or killed).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return "missing"
    if (run_dir / INCOMPLETE_MARKER).exists():
        return "incomplete"
    metrics = run_dir / METRICS_FILE
    if not metrics.is_file():
        return "incomplete"
    try:
        status = json.loads(metrics.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return "incomplete"
    return status if status in ("complete", "failed") else "incomplete"


def is_complete(run_dir) -> bool:
    """True only for a run that finished successfully."""
    return run_status(run_dir) == "complete"


def require_complete(run_dir) -> Path:
    """Return ``run_dir`` as a Path; raise InputError unless it is complete."""
    status = run_status(run_dir)
    if status == "missing":
        raise InputError(f"run directory not found: {run_dir}")
    if status != "complete":
        raise InputError(f"run {run_dir} is {status}, not complete")
    return Path(run_dir)


def looks_like_run_dir(path) -> bool:
    """True if ``path`` is empty or holds files a glifac command writes."""
    path = Path(path)
    return path.is_dir() and (not any(path.iterdir()) or any((path / f).exists() for f in _RUN_FILES))


def prepare_run_dir(run_dir, *, force: bool = False, resume: bool = False) -> str:
    """Create (or reuse, or wipe) an output directory and mark it incomplete.

    Parameters
    ----------
    run_dir : str or Path
    force : bool
        Delete an existing run directory and start over. Refuses directories
        that do not look like run directories, so ``--force`` cannot wipe an
        unrelated folder.
    resume : bool
        Continue an existing incomplete run.

    Returns
    -------
    str
        ``"new"`` or ``"resume"``.

    Raises
    ------
    InputError
        Directory exists without ``force``/``resume``; nothing to resume;
        run already finished; both flags; path is a file.
    """
    run_dir = Path(run_dir)
    if force and resume:
        raise InputError("--force and --resume are mutually exclusive")
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"{run_dir} exists and is not a directory")
    status = run_status(run_dir)
    if resume:
        if status == "missing":
            raise InputError(f"nothing to resume: {run_dir} does not exist")
        if status in ("complete", "failed"):
            raise InputError(f"run {run_dir} already finished ({status}); use --force to start over")
        return "resume"
    if status != "missing":
        if not force:
            raise InputError(
                f"{run_dir} exists; pass --force to overwrite it or --resume to continue it"
            )
        if not looks_like_run_dir(run_dir):
            raise InputError(f"refusing to overwrite {run_dir}: it does not look like a run directory")
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / INCOMPLETE_MARKER).write_text("run in progress or interrupted\n")
    return "new"


def mark_finished(run_dir) -> None:
    """Remove the incomplete marker (call after ``metrics.json`` is written)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(run_dir) / INCOMPLETE_MARKER).unlink()


# ------------------------------------------------------------- output directories
def check_replaceable(path, expected_names, flag: str = "--force") -> None:
    """Refuse to replace ``path`` unless it holds only what a glifac command writes.

    Parameters
    ----------
    path : Path
        An existing directory that ``flag`` would replace.
    expected_names : iterable of str
        File and folder names the command itself writes there. Hidden
        temporary names (starting with ".") are allowed too.

    Raises
    ------
    InputError
        ``path`` is not a directory or holds anything else, so ``flag``
        cannot wipe an unrelated folder (a home directory, a checkout, a run).
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path} exists and is not a directory")
    expected = set(expected_names)
    foreign = sorted(p.name for p in path.iterdir() if p.name not in expected and not p.name.startswith("."))
    if foreign:
        raise InputError(f"refusing to replace {path} with {flag}: it holds {foreign[0]!r}, "
                         "which glifac did not write")


def replace_dir(new, old) -> Path:
    """Move the finished directory ``new`` onto ``old``: the old one is set aside first and
    deleted only after the new one is in place, so an error leaves one complete copy."""
    new, old = Path(new), Path(old)
    aside = None
    if old.exists():
        aside = old.with_name(f".{old.name}.{os.getpid()}.old")
        os.replace(old, aside)
    try:
        os.replace(new, old)
    except OSError:
        if aside is not None:
            os.replace(aside, old)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return old
