"""Grid files: a TOML description of a sweep, validated and expanded into cells.

Format (the key names are fixed)::

    name = "tiny"                          # required
    models = ["CNN20-Exp", "CNN20-ReLU"]   # required: preset names
    seeds = [0, 1]                         # required: each seeds training and interpretation
    mode = "product"                       # optional: "product" (default) or "one-at-a-time"
    evaluate = ["interpret"]               # optional: after training, "interpret" and/or "localise"

    [data]        # either path = "FILE.h5", or simulate arguments: n, seed, grammar, length
    n = 3000
    seed = 0

    [model]       # optional: model overrides for every cell (any architectures.ModelConfig field)
    attention_units = 32

    [train]       # optional: any training option of `glifac train`, long name with underscores
    epochs = 2    # (recipe, epochs, batch_size, learning_rate, lr_factor, lr_patience, min_lr,
                  #  patience, monitor); patience = "none" disables early stopping

    [interpret]   # optional: any option of `glifac interpret` (thresholds, heads, null_shuffles,
    thresholds = "0.1,0.5"                 #  jaspar, max_sequences, batch_size)

    [axes]        # optional: each list is an axis, crossed with models x seeds
    num_heads = [1, 8]                     # a model override or a training option ...
    normalization = [                      # ... or any name, when every value is a table of
      {label = "none", batch_norm = false, layer_norm = "none"},   # settings (optional label)
      {label = "BN", batch_norm = true},
    ]

``mode = "product"`` crosses every axis (and models and seeds); ``"one-at-a-time"``
varies one axis at a time around the base (the preset with ``[model]``), as
Appendix E of the paper does, and keeps the base once. :meth:`Grid.combinations`
and :func:`glifac.sweep.plan` list the cells in a deterministic order, as an
indexable list, like scikit-learn's ``ParameterGrid``. Combinations that
resolve to identical settings are one cell (labelled by the first). ``layer_norm
= "none"`` means no LayerNorm (TOML has no null). Combinations that cannot run
(AttnGen masking by attention on a model without attention) are left out and
listed in ``sweep.json`` under ``skipped``.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from simulate.errors import InputError

TOP_KEYS = {"name", "models", "seeds", "mode", "data", "model", "train", "interpret", "axes", "description",
            "evaluate"}
# what a cell does after training: glifac interpret (GLIFAC, local attention, controls) and/or
# glifac localise (importance sources against the planted instances; any model)
EVALUATIONS = ("interpret", "localise")
DATA_KEYS = {"path", "n", "seed", "grammar", "length"}
MODES = ("product", "one-at-a-time")
_NONE_WORDS = {"none", "None", "null"}


@dataclass(frozen=True)
class AxisValue:
    """One value of one axis: its label (for tables and database columns) and the settings it sets."""

    label: str
    model: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Grid:
    """A validated grid file.

    Attributes
    ----------
    name : str
    models : tuple of str
    seeds : tuple of int
    mode : {"product", "one-at-a-time"}
    data : dict
        ``{"path": ...}`` or simulate arguments ``{"n", "seed", "grammar", "length"}``.
    model, training, interpret : dict
        Settings applied to every cell (training options without the seed).
    axes : dict
        Axis name -> tuple of :class:`AxisValue`.
    source : str
        Where the grid came from (file path or shipped name).
    """

    name: str
    models: tuple
    seeds: tuple
    mode: str
    data: dict
    model: dict
    training: dict
    interpret: dict
    axes: dict
    source: str = ""
    description: str = ""
    evaluate: tuple = ("interpret",)

    def combinations(self) -> list[dict]:
        """Axis settings of every cell, without models and seeds: a list of ``{axis: AxisValue}``."""
        if not self.axes:
            return [{}]
        names = list(self.axes)
        if self.mode == "product":
            return [dict(zip(names, values)) for values in itertools.product(*(self.axes[n] for n in names))]
        out = [{}]  # the base
        for name in names:
            out.extend({name: value} for value in self.axes[name])
        return out


def shipped_grids() -> list[str]:
    """Names of the grids shipped in ``glifac/grids/`` (``paper``, ``appendix-e``, ``small``)."""
    return sorted(p.stem for p in _grids_dir().glob("*.toml"))


def _grids_dir() -> Path:
    return Path(str(resources.files("glifac") / "grids"))


def load_grid(source) -> Grid:
    """Read and validate a grid: a TOML file path or a shipped grid's name.

    Raises
    ------
    InputError
        Malformed TOML, an unknown key, an unknown model or override, a value of
        the wrong type, an empty axis (one line naming the problem).
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    path = Path(source)
    if not path.is_file() and str(source) in shipped_grids():
        path = _grids_dir() / f"{source}.toml"
    if not path.is_file():
        raise InputError(f"grid file not found: {source} (shipped grids: {', '.join(shipped_grids())})")
    try:
        spec = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    return grid_from_dict(spec, where=str(path))


def grid_from_dict(spec: dict, where: str = "grid") -> Grid:
    """Validate a parsed grid specification (see the module docstring)."""
    from architectures.config import OVERRIDE_NAMES
    from architectures.presets import check_model_name
    from glifac.interpretation.config import InterpretConfig
    from glifac.training.config import TRAINING_FIELDS

    unknown = sorted(set(spec) - TOP_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}: 'name' must be a non-empty string")
    models = _list(spec, "models", str, where)
    for model in models:
        try:
            check_model_name(model)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    seeds = _list(spec, "seeds", int, where)
    if any(s < 0 for s in seeds):
        raise InputError(f"{where}: seeds must be non-negative integers")
    mode = spec.get("mode", "product")
    if mode not in MODES:
        raise InputError(f"{where}: 'mode' must be one of {', '.join(MODES)}, got {mode!r}")
    data = _section(spec, "data", where)
    bad = sorted(set(data) - DATA_KEYS)
    if bad:
        raise InputError(f"{where}: unknown [data] key {bad[0]!r} (allowed: {', '.join(sorted(DATA_KEYS))})")
    if "path" in data and len(data) > 1:
        raise InputError(f"{where}: [data] takes either 'path' or simulate arguments (n, seed, grammar, length)")
    if not data:
        raise InputError(f"{where}: [data] needs 'path' or simulate arguments (at least n)")
    if "path" not in data and "n" not in data:
        raise InputError(f"{where}: [data] needs 'n' (the number of sequences to simulate)")
    for key, kind in (("n", int), ("seed", int), ("length", int), ("grammar", str), ("path", str)):
        if key in data and not _is(data[key], kind):
            raise InputError(f"{where}: [data] {key} must be {kind.__name__}, got {data[key]!r}")

    model = _settings(_section(spec, "model", where), OVERRIDE_NAMES, "[model]", where)
    training = _settings(_section(spec, "train", where), TRAINING_FIELDS, "[train]", where)
    if "seed" in training:
        raise InputError(f"{where}: [train] seed is set per cell by 'seeds'")
    interpret = _section(spec, "interpret", where)
    interpret_fields = {f.name for f in dataclasses.fields(InterpretConfig)} - {"seed"}
    bad = sorted(set(interpret) - interpret_fields)
    if bad:
        raise InputError(f"{where}: unknown [interpret] option {bad[0]!r} "
                         f"(allowed: {', '.join(sorted(interpret_fields))})")

    axes = {}
    for axis, values in _section(spec, "axes", where).items():
        if not isinstance(values, list):
            raise InputError(f"{where}: axis {axis!r} must be a list of values")
        if not values:
            raise InputError(f"{where}: axis {axis!r} is empty")
        axes[axis] = tuple(_axis_value(axis, v, OVERRIDE_NAMES, TRAINING_FIELDS, where) for v in values)
        labels = [v.label for v in axes[axis]]
        if len(set(labels)) != len(labels):
            raise InputError(f"{where}: axis {axis!r} repeats a value")
    evaluate = spec.get("evaluate", ["interpret"])
    if not (isinstance(evaluate, list) and evaluate and all(e in EVALUATIONS for e in evaluate)
            and len(set(evaluate)) == len(evaluate)):
        raise InputError(f"{where}: 'evaluate' must be a list of {', '.join(EVALUATIONS)}, got {evaluate!r}")
    grid = Grid(name=name.strip(), models=tuple(models), seeds=tuple(seeds), mode=mode, data=dict(data),
                model=model, training=training, interpret=dict(interpret), axes=axes, source=where,
                description=str(spec.get("description", "")), evaluate=tuple(evaluate))
    _check_settings(grid, where)
    return grid


def _is(value, kind) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _list(spec, key, kind, where) -> list:
    values = spec.get(key)
    if not isinstance(values, list) or not values:
        raise InputError(f"{where}: '{key}' must be a non-empty list")
    for value in values:
        if not _is(value, kind):
            raise InputError(f"{where}: '{key}' must hold {kind.__name__} values, got {value!r}")
    if len(set(values)) != len(values):
        raise InputError(f"{where}: '{key}' repeats a value")
    return values


def _section(spec, key, where) -> dict:
    section = spec.get(key, {})
    if not isinstance(section, dict):
        raise InputError(f"{where}: [{key}] must be a table")
    return section


def _settings(section: dict, allowed, label: str, where: str) -> dict:
    bad = sorted(set(section) - set(allowed))
    if bad:
        raise InputError(f"{where}: unknown {label} option {bad[0]!r}")
    return {key: _none(key, value) for key, value in section.items()}


def _none(key, value):
    """TOML has no null: the words "none"/"null" stand for None in the fields that allow it."""
    if key in ("layer_norm", "patience", "attention_units", "max_sequences", "clip_norm",
               "embedding_units") and value in _NONE_WORDS:
        return None
    return value


def _axis_value(axis, value, model_fields, training_fields, where) -> AxisValue:
    if isinstance(value, dict):
        value = dict(value)
        label = str(value.pop("label", ",".join(f"{k}={v}" for k, v in sorted(value.items()))))
        model = {k: _none(k, v) for k, v in value.items() if k in model_fields}
        training = {k: _none(k, v) for k, v in value.items() if k in training_fields and k not in model_fields}
        bad = sorted(set(value) - set(model) - set(training))
        if bad:
            raise InputError(f"{where}: axis {axis!r}: unknown setting {bad[0]!r}")
        if "seed" in training:
            raise InputError(f"{where}: axis {axis!r}: the seed is set per cell by 'seeds'")
        return AxisValue(label=label, model=model, training=training)
    if isinstance(value, (list, dict)):
        raise InputError(f"{where}: axis {axis!r} holds {value!r}; use a scalar or a table")
    if axis in model_fields:
        return AxisValue(label=str(value), model={axis: _none(axis, value)})
    if axis in training_fields and axis != "seed":
        return AxisValue(label=str(value), training={axis: _none(axis, value)})
    raise InputError(f"{where}: axis {axis!r} is neither a model override nor a training option "
                     "(a composite axis needs tables of settings)")


def _check_settings(grid: Grid, where: str) -> None:
    """Build every model and training config once, so a wrong type or value fails before any work."""
    from architectures.presets import resolve_config
    from glifac.interpretation.config import InterpretConfig
    from glifac.training.config import recipe_config

    try:
        InterpretConfig(**grid.interpret)
        for model in grid.models:
            for combination in grid.combinations():
                overrides = {**grid.model, **{k: v for a in combination.values() for k, v in a.model.items()}}
                resolve_config(model, **overrides)
                training = {**grid.training, **{k: v for a in combination.values() for k, v in a.training.items()}}
                recipe = training.pop("recipe", "fast")
                recipe_config(recipe, **training)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise InputError(f"{where}: {exc}") from None
