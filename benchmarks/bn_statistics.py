"""Are a run's BatchNorm population statistics stale? Validation metrics before and after re-estimating them.

At inference a BatchNorm layer normalizes with moving averages of the batch
statistics seen in training (momentum 0.99). If the pre-BatchNorm activations
drift faster than those averages follow, validation scores are computed with
stale statistics. This script evaluates a run on validation sequences as
trained, then again after re-estimating each BatchNorm layer's mean and
variance from training sequences under the current weights, in model order, in
inference mode (the "precise BN" of Wu & Johnson, 2021). Works on a finished
run (``model.keras``) and on an interrupted or running one (its last epoch
checkpoint).

Usage::

    python benchmarks/bn_statistics.py --run runs/paper/CNN4-ReLU [--n-train 10000] [--n-valid 5000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from glifac.train import CHECKPOINT_DIR, CHECKPOINT_FILE  # noqa: E402  (no TensorFlow import)


def load_run_model(run: Path):
    """The run's best model if it finished, else its latest checkpoint's weights; and a label."""
    import keras

    import architectures
    from architectures.presets import config_from_dict

    if (run / "model.keras").is_file() and not (run / ".incomplete").exists():
        return keras.saving.load_model(run / "model.keras", safe_mode=True), "model.keras"
    config = json.loads((run / "config.json").read_text())
    model = architectures.build_from_config(config_from_dict(config["model_config"]))
    with np.load(run / CHECKPOINT_DIR / CHECKPOINT_FILE, allow_pickle=False) as npz:
        state = json.loads(str(npz["state"]))
        for i, variable in enumerate(model.variables):
            variable.assign(npz[f"model_{i}"])
    return model, f"checkpoint after epoch {state['epoch']}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="run directory")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset file (default: the one recorded in the run's config.json)")
    parser.add_argument("--n-train", type=int, default=10000, help="training sequences for the re-estimate")
    parser.add_argument("--n-valid", type=int, default=5000, help="validation sequences to score")
    args = parser.parse_args(argv)

    import keras
    from sklearn.metrics import average_precision_score

    from simulate.dataset import load

    data = args.data or Path(json.loads((args.run / "config.json").read_text())["data"]["path"])
    ds = load(data, splits=("train", "valid"))
    x_train = ds.x_train[: args.n_train].astype(np.float32)
    x_valid = ds.x_valid[: args.n_valid].astype(np.float32)
    y_valid = ds.y_valid[: args.n_valid].astype(np.float32)
    model, source = load_run_model(args.run)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    print(f"{args.run} ({source}); BatchNorm layers: {', '.join(n.name for n in norms) or 'none'}")

    def report(label):
        p = model.predict(x_valid, batch_size=500, verbose=0)
        loss = float(keras.losses.BinaryCrossentropy()(y_valid, p))
        aupr = np.mean([average_precision_score(y_valid[:, t], p[:, t]) for t in range(y_valid.shape[1])])
        print(f"  {label}: validation loss {loss:.4f}, macro AUPR {aupr:.4f}, "
              f"mean output {p.mean():.3f} (label rate {y_valid.mean():.3f})")

    report("as trained")
    for norm in norms:  # in model order, so each sees its predecessors' new statistics
        h = keras.Model(model.input, norm.input).predict(x_train, batch_size=500, verbose=0)
        h = h.reshape(-1, h.shape[-1])
        moving_sd = np.sqrt(norm.moving_variance.numpy())
        shift = np.median(np.abs(h.mean(0) - norm.moving_mean.numpy()) / moving_sd)
        ratio = np.median(h.var(0) / norm.moving_variance.numpy())
        print(f"  {norm.name}: |batch mean - moving mean| / moving sd, median {shift:.3f}; "
              f"variance / moving variance, median {ratio:.3f}")
        norm.moving_mean.assign(h.mean(0))
        norm.moving_variance.assign(h.var(0))
    if norms:
        report("statistics re-estimated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
