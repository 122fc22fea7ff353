"""Per-epoch cost of ``glifac.training.train`` versus a bare ``model.fit``.

Both train the same preset on the same in-memory float32 arrays with the same
batch size; the bare run passes ``validation_data`` (so it computes val_loss
each epoch), ours computes val_loss, AUROC and AUPR, adjusts the learning
rate, writes the checkpoint and history. Each epoch is timed by the same
callback (epoch begin to the end of all epoch-end work); the first epoch
(graph tracing) is dropped. Runs alternate bare/ours for ``--rounds`` rounds
so that background load hits both alike.

Usage::

    python benchmarks/bench_train.py [--model CNN20-Exp] [--epochs 6] [--n 5000]
                                     [--data FILE.h5] [--rounds 2] [--max-ratio 1.10]

Prints per-epoch medians and the median over rounds of the per-round ratio
ours / bare; exits 1 if it exceeds ``--max-ratio``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np

from _record import record

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def synthetic_dataset(n: int, length: int = 200, n_tasks: int = 12, seed: int = 0):
    """Random one-hot sequences and labels with the simulate.load schema (70/10/20 split)."""
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, size=(n, length))]
    y = (rng.random((n, n_tasks)) < 0.15).astype(np.uint8)
    a, b = int(0.7 * n), int(0.8 * n)
    return SimpleNamespace(
        x_train=x[:a], x_valid=x[a:b], x_test=x[b:],
        y_train=y[:a], y_valid=y[a:b], y_test=y[b:],
        task_names=[f"task_{k}" for k in range(n_tasks)], path=None, length=length,
    )


def _timer_class():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall time from epoch begin to after every other epoch-end callback."""

        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._t0)

    return EpochTimer


def bare_fit(ds, model_name, epochs, batch_size, seed):
    import keras

    import architectures

    keras.utils.set_random_seed(seed)
    x_train, y_train = ds.x_train.astype(np.float32), ds.y_train.astype(np.float32)
    x_valid, y_valid = ds.x_valid.astype(np.float32), ds.y_valid.astype(np.float32)
    model = architectures.build_model(model_name, input_length=x_train.shape[1], n_tasks=y_train.shape[1])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy())
    timer = _timer_class()()
    model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=batch_size,
              epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    return timer.seconds


def ours(ds, model_name, epochs, batch_size, seed):
    from glifac.training import recipe_config, train

    timer = _timer_class()()
    with tempfile.TemporaryDirectory() as tmp:
        # no early stopping and no lr drop: the benchmark must run every epoch at one rate
        training = recipe_config("paper", epochs=epochs, batch_size=batch_size, seed=seed, lr_patience=epochs + 1)
        train(ds, model_name, training, os.path.join(tmp, "run"), quiet=True, callbacks=[timer])
    return timer.seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="CNN20-Exp")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--n", type=int, default=5000, help="synthetic dataset size (ignored with --data)")
    p.add_argument("--data", help="dataset file from `python -m simulate` instead of synthetic data")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-ratio", type=float, default=None, help="exit 1 above this ratio")
    args = p.parse_args(argv)
    if args.epochs < 2:
        p.error("--epochs must be >= 2 (the first epoch is dropped)")

    if args.data:
        import simulate

        ds = simulate.load(args.data)
    else:
        ds = synthetic_dataset(args.n, seed=args.seed)
    import tensorflow as tf

    # train() enables op determinism process-wide; give the bare run the same
    tf.config.experimental.enable_op_determinism()

    bare_times, our_times, ratios = [], [], []
    for r in range(args.rounds):
        b = statistics.median(bare_fit(ds, args.model, args.epochs, args.batch_size, args.seed)[1:])
        o = statistics.median(ours(ds, args.model, args.epochs, args.batch_size, args.seed)[1:])
        print(f"round {r + 1}: bare {b:.3f} s/epoch  ours {o:.3f} s/epoch  ratio {o / b:.3f}", flush=True)
        bare_times.append(b)
        our_times.append(o)
        ratios.append(o / b)
    # per-round ratios: load that drifts between rounds cancels within a round
    ratio = statistics.median(ratios)
    print(f"{args.model}: n_train={len(ds.x_train)} n_valid={len(ds.x_valid)} batch={args.batch_size} "
          f"epochs={args.epochs} rounds={args.rounds}")
    print(f"median s/epoch  bare fit {statistics.median(bare_times):.3f}  "
          f"glifac train {statistics.median(our_times):.3f}  ratio (median of rounds) {ratio:.3f}")
    record(f"train_{args.model}", {"bare_seconds_per_epoch": bare_times, "glifac_seconds_per_epoch": our_times,
                                   "ratios": ratios, "ratio": ratio, "n_train": len(ds.x_train),
                                   "max_ratio": args.max_ratio}, args)
    if args.max_ratio is not None and ratio > args.max_ratio:
        print(f"ratio {ratio:.3f} exceeds {args.max_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
