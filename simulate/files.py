"""Files written whole or not at all, and the overwrite guard, for every glifac command.

Every output (dataset, run directory, interpretation, sweep) is written under a
temporary name in the destination's directory and renamed into place when
complete, so an interruption never leaves a half-written file that looks
finished. Nothing is overwritten unless the caller passed ``force``.

This is the lowest layer that writes files, so the helpers live here and the
packages above import them (simulate <- architectures <- analysis <- glifac).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from simulate.errors import InputError


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# mkstemp creates 0600 files; renamed files get the usual umask mode
_FILE_MODE = 0o666 & ~_umask()


# ---------------------------------------------------------------- the overwrite guard
def refuse_existing(path, force: bool, flag: str = "--force") -> None:
    """Raise InputError if ``path`` exists and ``force`` is false.

    The one "exists; pass --force" check of every command, called before any
    work so that a refused command changes nothing.
    """
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass {flag} to overwrite it")


def check_output_dir(path, expected_names, force: bool) -> None:
    """Before a command writes the output folder ``path``: nothing to check when it does not exist;
    otherwise refuse without ``force`` (:func:`refuse_existing`) and refuse to replace a folder holding
    anything but the command's own outputs (:func:`check_replaceable`)."""
    if Path(path).exists():
        refuse_existing(path, force)
        check_replaceable(path, expected_names)


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


@contextlib.contextmanager
def atomic_directory(path):
    """Yield an empty temporary directory next to ``path``; when the block succeeds it
    replaces ``path`` (see :func:`replace_dir`); when it raises it is deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        replace_dir(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


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


# ---------------------------------------------------------------- JSON and checksums
def to_jsonable(obj):
    """Recursively convert numpy scalars/arrays, Paths, dataclass-like ``to_dict`` objects and NaN/inf for JSON."""
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


def sha256_file(path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()
