"""The TensorFlow runtime of a glifac process: a quiet import, thread caps, seeding.

Every entry point that runs a model (the command line, :func:`glifac.train`,
:func:`glifac.interpret`, sweep workers) goes through here, so TensorFlow is
imported once, after argument parsing, without its C++ start-up chatter.
"""
from __future__ import annotations

import os
import sys

from simulate.errors import InputError


def import_tensorflow_quietly():
    """Import TensorFlow and Keras with file descriptor 2 silenced; return ``(keras, tensorflow)``.

    TensorFlow's C++ start-up lines (absl, oneDNN, CPU features) bypass Python
    and ``TF_CPP_MIN_LOG_LEVEL``; they would turn a one-line error into five.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" not in sys.modules:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                import keras  # noqa: F401
                import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    import keras
    import tensorflow

    return keras, tensorflow


def limit_threads(threads: int | None) -> None:
    """Cap TensorFlow's intra- and inter-op thread pools at ``threads`` (None: leave the default).

    Must run before TensorFlow executes its first op, which fixes the pools.
    Small CANs parallelise poorly inside one op, so runs side by side on fewer
    threads each can beat one run on all cores (benchmarks/bench_threads.py).
    """
    if threads is None:
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InputError(f"--threads must be at least 1, got {threads}")
    _, tf = import_tensorflow_quietly()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime already started (an in-process caller); keep its pools
        pass


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic."""
    keras, tf = import_tensorflow_quietly()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
