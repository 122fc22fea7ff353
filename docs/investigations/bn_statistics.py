"""Are a run's BatchNorm population statistics stale? Validation metrics before and after re-estimating them.

At inference a BatchNorm layer normalizes with moving averages of the batch
statistics seen in training (momentum 0.99). If the pre-BatchNorm activations
drift faster than those averages follow, validation scores are computed with
stale statistics. This script evaluates a run on validation sequences as
trained, then again after re-estimating each BatchNorm layer's mean and
variance from training sequences under the current weights, in model order, in
inference mode (the "precise BN" of Wu & Johnson, 2021). Works on a finished
run (its best weights, ``model.keras``) and on an interrupted or running one
(the weights after its last finished epoch, from the checkpoint).

Usage::

    python benchmarks/bn_statistics.py --run runs/paper/CNN4-ReLU [--n-train 10000] [--n-valid 5000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from glifac import rundir
from simulate.errors import InputError
from glifac.training.checkpoint import has_checkpoint, load_checkpoint


def load_run_model(run: Path):
    """``(model, label)``: a finished run's best model, else the weights of its last checkpoint."""
    status = rundir.run_status(run)
    if status == "missing":
        raise InputError(f"run directory not found: {run}")
    import architectures
    from architectures.presets import config_from_dict

    if status == "complete":
        return architectures.load_model(run / "model.keras"), "best weights, model.keras"
    if status != "incomplete" or not has_checkpoint(run):
        raise InputError(f"{run}: {status} run with no model.keras or epoch checkpoint to read")
    config = json.loads((run / "config.json").read_text())
    model = architectures.build_from_config(config_from_dict(config["model_config"]))
    state, groups = load_checkpoint(run)
    arrays = groups["model"]
    if [tuple(v.shape) for v in model.variables] != [a.shape for a in arrays]:
        raise InputError(f"{run}: checkpoint does not match the model in its config.json")
    for variable, array in zip(model.variables, arrays):
        variable.assign(array)
    return model, f"weights after epoch {state['epoch']}, from the checkpoint"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="run directory")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset file (default: the one recorded in the run's config.json)")
    parser.add_argument("--n-train", type=int, default=10000, help="training sequences for the re-estimate")
    parser.add_argument("--n-valid", type=int, default=5000, help="validation sequences to score")
    args = parser.parse_args(argv)
    if rundir.run_status(args.run) == "missing":  # before the slow TensorFlow import
        raise InputError(f"run directory not found: {args.run}")

    import keras

    from analysis.classification import binary_crossentropy, classification_metrics
    from simulate.dataset import load

    model, source = load_run_model(args.run)
    data = args.data or Path(json.loads((args.run / "config.json").read_text())["data"]["path"])
    ds = load(data, splits=("train", "valid"))
    x_train = ds.x_train[: args.n_train].astype(np.float32)
    x_valid = ds.x_valid[: args.n_valid].astype(np.float32)
    y_valid = ds.y_valid[: args.n_valid].astype(np.float32)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    print(f"{args.run} ({source}); BatchNorm layers: {', '.join(n.name for n in norms) or 'none'}")

    def report(label):
        p = model.predict(x_valid, batch_size=500, verbose=0)
        loss = binary_crossentropy(y_valid, p)
        aupr = classification_metrics(y_valid, p, range(y_valid.shape[1]))["aupr"]
        print(f"  {label}: validation loss {loss:.4f}, macro AUPR {aupr:.4f}, "
              f"mean output {p.mean():.3f} (label rate {y_valid.mean():.3f})")

    report("as trained")
    # In model order, so each layer is re-estimated (and its shift measured) with
    # its predecessors' new statistics in place.
    for norm in norms:
        h = keras.Model(model.input, norm.input).predict(x_train, batch_size=500, verbose=0)
        h = h.reshape(-1, h.shape[-1])  # per channel, over sequences (and positions for a conv BatchNorm)
        moving_var = norm.moving_variance.numpy() + norm.epsilon
        shift = np.median(np.abs(h.mean(0) - norm.moving_mean.numpy()) / np.sqrt(moving_var))
        ratio = np.median((h.var(0) + norm.epsilon) / moving_var)
        print(f"  {norm.name}: |re-estimated mean - moving mean| / moving sd, median {shift:.3f}; "
              f"re-estimated / moving variance, median {ratio:.3f}")
        norm.moving_mean.assign(h.mean(0))
        norm.moving_variance.assign(h.var(0))
    if norms:
        report("statistics re-estimated")
    return 0


if __name__ == "__main__":
    from simulate.command import run_command

    sys.exit(run_command(main))
