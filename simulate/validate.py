"""Validators shared by every layer: typed config fields (and, below, arrays every layer reads).

They live in the lowest package because every package above needs them and
imports flow one way (simulate <- architectures <- analysis <- glifac); this
module imports nothing heavier than NumPy.
"""
from __future__ import annotations

from dataclasses import fields

from simulate.errors import InputError

# annotation (a string under `from __future__ import annotations`) -> (test, wording)
_FIELD_TYPES = {
    "str": (lambda v: isinstance(v, str), "str"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "int"),
    "bool": (lambda v: isinstance(v, bool), "bool"),
    # ints are acceptable rates (e.g. 0 from JSON); bools are not
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "float"),
}


def check_fields(config, label: str | None = None) -> None:
    """Check every field of a frozen config dataclass against its annotation.

    The one type check behind every typed config of the project (models,
    training, interpretation, sweeps). Annotations may be ``str``, ``int``,
    ``bool``, ``float`` or ``Optional[...]`` of one of them.

    Parameters
    ----------
    config : dataclass instance
    label : str, optional
        Prefix naming what the fields are, e.g. ``"model override"``.

    Raises
    ------
    InputError
        Names the first field whose value has the wrong type.
    """
    for f in fields(config):
        annotation = str(f.type)
        optional = annotation.startswith("Optional[")
        base = annotation[len("Optional["):-1] if optional else annotation
        test, wording = _FIELD_TYPES[base]
        value = getattr(config, f.name)
        if (optional and value is None) or test(value):
            continue
        expected = f"{wording} or None" if optional else wording
        name = f"{label} {f.name!r}" if label else f.name
        raise InputError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
