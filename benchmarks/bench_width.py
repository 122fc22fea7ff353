"""Where a preset's training time goes: the attention output width and the dense BatchNorm.

The presets follow the authors' code: the attention block projects back to
``num_heads * key_dim`` = 256 channels per position (Keras' MultiHeadAttention
default would be the query width, 32 filters), and the dense block is
Dense → BatchNorm → ReLU. Both make the model larger than the "plain CAN" whose
bare-fit speed the issue quotes (about 2,200 sequences/s for pool 4 and 6,600
for pool 20 on 2 cores). This script trains, in one process and on the same
synthetic arrays, each preset against two slimmer variants of itself:
``attention_units=32``, and ``attention_units=32`` without the dense BatchNorm.
Reference: the preset as shipped. Fits alternate for ``--rounds`` rounds so
background load hits all alike; the best epoch rate of each is printed with the
ratio to the preset.

Usage::

    python benchmarks/bench_width.py [--models CNN20-Exp CNN4-Exp] [--n 10000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import sys
import time

from _record import record

VARIANTS = {
    "preset": {},
    "attention_units=32": {"attention_units": 32},
    "attention_units=32, no dense BN": {"attention_units": 32, "dense_batch_norm": False},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["CNN20-Exp", "CNN4-Exp"])
    parser.add_argument("--n", type=int, default=10000, help="sequences (70%% train, as bench_train)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    import numpy as np
    import tensorflow as tf

    import architectures
    from bench_train import synthetic_dataset

    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()  # as glifac train runs
    ds = synthetic_dataset(args.n)
    x, y = ds.x_train.astype(np.float32), ds.y_train.astype(np.float32)

    results = {}
    for model_name in args.models:
        models = {}
        for label, overrides in VARIANTS.items():
            model = architectures.build_model(model_name, input_length=x.shape[1], n_tasks=y.shape[1],
                                              **overrides)
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy())
            model.fit(x[:1000], y[:1000], batch_size=100, epochs=1, verbose=0)  # trace once, untimed
            models[label] = model
        best = dict.fromkeys(models, 0.0)
        for _ in range(args.rounds):
            for label, model in models.items():
                start = time.perf_counter()
                model.fit(x, y, batch_size=100, epochs=1, shuffle=True, verbose=0)
                best[label] = max(best[label], len(x) / (time.perf_counter() - start))
        for label, rate in best.items():
            print(f"{model_name:10s} {label:32s} {rate:7.0f} seq/s  ×{rate / best['preset']:.2f}  "
                  f"({models[label].count_params():,} parameters)", flush=True)
        results[model_name] = {label: {"seq_per_s": rate, "ratio": rate / best["preset"],
                                       "parameters": models[label].count_params()} for label, rate in best.items()}
    record("width", results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
