"""``glifac train``: command-line options -> (model config, training config) -> :func:`glifac.training.train`.

Settings, lowest to highest precedence: the preset and the recipe, a
``--config`` file (with ``--resume`` and no ``--config``: the run's own
``config.json``, so ``--out DIR --resume`` alone continues a run), then flags.
Unset flags are absent from the namespace (``argparse.SUPPRESS``) so that file
values apply unless a flag overrides them.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from glifac.training.config import (DEFAULT_RECIPE, IMPORTANCES, MONITORS, OBJECTIVES, RECIPES, TRAINING_FIELDS,
                                   TrainingConfig, recipe_config)
from simulate.errors import InputError
from simulate.files import read_json

# model-config fields the data decides, never set by flag
_FROM_DATA = ("input_length", "n_tasks")
_OVERRIDE_HELP = {
    "activation": "relu, exp, softplus, gelu, sigmoid, tanh, elu, linear",
    "layer_norm": "LayerNorm around attention: none, pre, post or both",
    "attention_units": "attention output width per position (default num_heads * key_dim)",
    "dense_batch_norm": "BatchNorm in the dense block, as in the authors' code",
    "family": "layer stack: can (convolution-attention) or cnn (AttnGen's attention-free model)",
    "head": "output: sigmoid (independent tasks) or softmax (one class per sequence)",
    "embedding_units": "cnn family: per-position embedding width",
    "block_channels": "cnn family: channels of each convolution block, e.g. 32,16,4",
}
# model-config fields with a fixed set of values -> those values
_OVERRIDE_CHOICES = {"layer_norm": ("none", "pre", "post", "both"), "family": ("can", "cnn"),
                     "head": ("sigmoid", "softmax")}
# keys of a config file that are records, not settings
_RECORD_KEYS = {"seed", "data", "versions", "created", "command", "resumed"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``train`` options (model overrides are generated from :class:`architectures.ModelConfig`)."""
    S = argparse.SUPPRESS
    parser.add_argument("--data", required=True, help="dataset file from `glifac simulate`")
    parser.add_argument("--model", default=S, help="preset name, e.g. CNN20-Exp (or from --config)")
    parser.add_argument("--out", default=None, help="run directory (default runs/<model>-seed<seed>)")
    parser.add_argument("--config", default=None, metavar="FILE.json",
                        help="JSON of model overrides / training options (e.g. a run's config.json); "
                             "command-line flags take precedence")
    parser.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    t = parser.add_argument_group("training (defaults: the recipe's; README lists each recipe)")
    t.add_argument("--recipe", choices=tuple(RECIPES), default=S,
                   help=f"named training recipe (default {DEFAULT_RECIPE}); the flags below override it")
    t.add_argument("--seed", type=int, default=S, help="random seed (default 0)")
    t.add_argument("--epochs", type=int, default=S, help="maximum epochs (default 100)")
    t.add_argument("--batch-size", type=int, default=S, help="default 100")
    t.add_argument("--learning-rate", type=float, default=S, help="Adam learning rate (default 1e-3)")
    t.add_argument("--lr-factor", type=float, default=S, help="LR multiplier on plateau (default 0.3)")
    t.add_argument("--lr-patience", type=int, default=S, help="epochs before LR drops (default 5)")
    t.add_argument("--min-lr", type=float, default=S, help="learning-rate floor (default 1e-7)")
    t.add_argument("--patience", type=patience_value, default=S,
                   help="early-stopping patience in epochs, or 'none' to train every epoch (default 10)")
    t.add_argument("--monitor", choices=tuple(MONITORS), default=S,
                   help="what selects the kept epoch and drives lr drops and stopping (default val_aupr)")
    t.add_argument("--weight-decay", type=float, default=S, help="Adam's decoupled weight decay (default 0)")
    t.add_argument("--clip-norm", type=none_or_float, default=S,
                   help="clip gradients to this global norm, or 'none' (default none)")

    a = parser.add_argument_group("AttnGen masking (docs/attngen.md)")
    a.add_argument("--objective", choices=OBJECTIVES, default=S,
                   help="plain cross-entropy, or attngen: + kl-weight * KL(f(x) || f(masked x)) (default plain)")
    a.add_argument("--mask-fraction", type=float, default=S,
                   help="alpha: fraction of positions masked per sequence, in [0, 1) (attngen recipe: 0.1)")
    a.add_argument("--kl-weight", type=float, default=S,
                   help="lambda (default 0.1); 0 trains the masked copies with the labels instead of the KL")
    a.add_argument("--importance", default=S, metavar="{" + ",".join(IMPORTANCES) + "}",
                   help="which positions are masked: the least important by this source (default embedding)")

    m = parser.add_argument_group("model overrides (default: the preset's value)")
    for field in _override_fields():
        flag = "--" + field.name.replace("_", "-")
        kind = str(field.type)
        if kind == "bool":
            m.add_argument(flag, action=argparse.BooleanOptionalAction, default=S,
                           help=_OVERRIDE_HELP.get(field.name))
        elif field.name in _OVERRIDE_CHOICES:
            m.add_argument(flag, choices=_OVERRIDE_CHOICES[field.name], default=S,
                           help=_OVERRIDE_HELP.get(field.name))
        else:
            convert = {"int": int, "Optional[int]": int, "float": float, "tuple": int_list}.get(kind, str)
            m.add_argument(flag, type=convert, default=S, help=_OVERRIDE_HELP.get(field.name))


def none_or_float(text: str):
    """A number, or ``none``."""
    if str(text).strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def int_list(text: str) -> list:
    """``32,16,4`` -> [32, 16, 4]."""
    try:
        return [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None


def patience_value(text: str):
    """``--patience`` value: a positive integer or ``none``."""
    if str(text).strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


def _override_fields():
    from architectures.config import ModelConfig  # pure Python, no Keras

    return [f for f in dataclasses.fields(ModelConfig) if f.name != "name" and f.name not in _FROM_DATA]


def settings_from_file(path) -> tuple[str | None, dict, dict]:
    """``(model name, model overrides, training options)`` from a JSON file.

    Accepts a run's ``config.json`` (``model``, ``model_config``,
    ``training``) or a flat object mixing override and training keys.
    """
    from architectures.config import OVERRIDE_NAMES  # no Keras needed for the names

    cfg = read_json(path)
    if not isinstance(cfg, dict):
        raise InputError(f"{path}: expected a JSON object")
    model = cfg.get("model")
    if model is not None and not isinstance(model, str):
        raise InputError(f"{path}: 'model' must be a preset name")
    for section in ("model_config", "training"):
        if not isinstance(cfg.get(section) or {}, dict):
            raise InputError(f"{path}: {section!r} must be a JSON object")
    overrides = dict(cfg.get("model_config") or {})
    overrides.pop("name", None)
    if "created" in cfg and overrides:  # a run's record: fields it predates keep their old meaning
        from architectures.presets import upgrade_recorded

        overrides = upgrade_recorded(overrides)
    training = dict(cfg.get("training") or {})
    if "seed" in cfg and not isinstance(cfg.get("data"), dict):  # flat file: seed is a setting
        training.setdefault("seed", cfg["seed"])
    for key, value in cfg.items():
        if key in ("model", "model_config", "training") or key in _RECORD_KEYS:
            continue
        if key in OVERRIDE_NAMES:
            overrides[key] = value
        elif key in TRAINING_FIELDS:
            training[key] = value
        else:
            raise InputError(f"{path}: unknown setting {key!r}")
    return model, overrides, training


def resolve_settings(args) -> tuple[str, dict, TrainingConfig]:
    """``(model name, model overrides, training config)`` from the parsed command line."""
    given = vars(args)
    model_name, overrides, training = None, {}, {}
    source = args.config or (_recorded_config(args, given) if args.resume else None)
    if source:
        model_name, overrides, training = settings_from_file(source)
    model_name = given.get("model", model_name)
    if model_name is None:
        raise InputError("no model given: pass --model NAME (or a --config file naming one)")
    training.update({k: given[k] for k in TRAINING_FIELDS if k in given})
    overrides.update({f.name: given[f.name] for f in _override_fields() if f.name in given})
    if overrides.get("layer_norm") == "none":
        overrides["layer_norm"] = None
    recipe = training.pop("recipe", DEFAULT_RECIPE)
    config = recipe_config(recipe, **training)
    if given.get("objective") == "attngen" and not config.masks:
        raise InputError("--objective attngen needs --mask-fraction above 0 (with 0 it is plain training)")
    return model_name, overrides, config


def run(args) -> int:
    """Entry point of ``glifac train``; returns the exit code (1 when the loss diverged)."""
    import simulate
    from glifac.training.fit import default_run_dir, model_for_data, train

    model_name, overrides, training = resolve_settings(args)  # fails on --epochs 0 before reading data
    out_dir = Path(args.out) if args.out else default_run_dir(model_name, training.seed)
    dataset = simulate.load(args.data)
    model_config = model_for_data(model_name, dataset, overrides)  # validated before out_dir is touched
    result = train(dataset, model_config, training, out_dir, force=args.force, resume=args.resume,
                   quiet=args.quiet)
    if not result.complete:
        print(f"error: training failed: {result.metrics['reason']}", file=sys.stderr)
        return 1
    return 0


def _recorded_config(args, given):
    """config.json of the run that --resume targets, if it can be located."""
    from glifac import rundir
    from glifac.training.fit import default_run_dir

    if args.out:
        out_dir = Path(args.out)
    elif "model" in given:
        recipe_seed = RECIPES.get(given.get("recipe", DEFAULT_RECIPE), {}).get("seed", TrainingConfig.seed)
        out_dir = default_run_dir(given["model"], given.get("seed", recipe_seed))
    else:
        return None
    path = out_dir / rundir.CONFIG_FILE
    return path if path.is_file() else None
