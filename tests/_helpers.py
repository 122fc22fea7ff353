"""Helpers shared by the test modules (fixtures are in conftest.py)."""
from __future__ import annotations

import numpy as np

import simulate

# A CAN small enough to train an epoch of a few hundred sequences in well under a second.
SMALL = {"n_filters": 8, "dense_units": 16, "num_heads": 2, "key_dim": 8}
SMALL_FLAGS = ["--n-filters", "8", "--dense-units", "16", "--num-heads", "2", "--key-dim", "8"]
MODEL = "CNN20-Exp"


def random_one_hot(n: int, length: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    """``n`` uniformly random one-hot sequences (n, length, 4)."""
    bases = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return simulate.one_hot(bases).astype(dtype)


def train_small(dataset, out, model: str = MODEL, overrides: dict | None = None, training: dict | None = None,
                **kwargs):
    """:func:`glifac.training.train` on the small model (``SMALL`` unless ``overrides`` is given),
    with training settings as a dict (``recipe`` among them); returns the TrainResult."""
    from glifac.training import model_for_data, recipe_config, train

    training = dict(training or {})
    recipe = training.pop("recipe", "fast")
    config = model_for_data(model, dataset, SMALL if overrides is None else overrides)
    return train(dataset, config, recipe_config(recipe, **training), out, **kwargs)


def run_glifac(argv, capsys):
    """Run the real ``glifac`` command line in this process; return (exit code, stdout, stderr)."""
    from glifac import cli

    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
