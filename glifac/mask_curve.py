"""``glifac mask-curve``: accuracy as positions are masked in order of gradient importance (:func:`mask_curve`).

AttnGen's post-hoc check: rank the positions of each sequence by the L2 norm of
the gradient of the labelled class's log-likelihood with respect to the
embedding at that position, ||d log p(y|x) / d E_i||_2 (E: the ``embedding``
layer where the model has one, else the first convolution's activations),
then mask (all-zero rows) the top k positions, the bottom k, or k random ones,
for each k in ``steps``, and measure accuracy (equal importances are ordered at
random, from ``seed``, as is the random order, one per sequence). The sequences
are split into ``folds`` equal parts; each curve is the mean over the folds with its sd.

Writes ``mask_curve.json`` (``steps``; ``curves``: order -> ``mean``, ``sd``
per step; ``provenance``; ``versions``) and ``mask_curve.png`` into ``RUN``
(or ``--out DIR``).
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_fields

OUTPUT_NAMES = ("mask_curve.json", "mask_curve.png")
ORDERS = ("most important first", "least important first", "random")


@dataclass(frozen=True)
class MaskCurveConfig:
    """Settings of :func:`mask_curve`.

    Parameters
    ----------
    n_sequences : int
        First test sequences used (the paper: 3,000).
    steps : str
        Comma-separated numbers of masked positions.
    folds : int
        Equal parts the sequences are split into, for the sd.
    seed : int
        Seeds the random order.
    batch_size : int
    """

    n_sequences: int = 3000
    steps: str = "0,1,2,5,10,20,50"
    folds: int = 5
    seed: int = 0
    batch_size: int = 500

    def __post_init__(self):
        check_fields(self)
        if self.n_sequences < 1 or self.folds < 1 or self.batch_size < 1 or self.seed < 0:
            raise InputError("n_sequences, folds and batch_size must be >= 1 and seed >= 0")
        try:
            steps = self.step_list
        except ValueError:
            raise InputError(f"steps must be integers separated by commas, got {self.steps!r}") from None
        if not steps or min(steps) < 0:
            raise InputError(f"steps must be numbers of positions >= 0, got {self.steps!r}")

    @property
    def step_list(self) -> list[int]:
        return sorted({int(s) for s in self.steps.split(",") if s.strip()})


def gradient_importance(model, x, y, head: str, batch_size: int = 500) -> np.ndarray:
    """||d log p(y|x) / d E_i||_2 per position (see the module docstring).

    Parameters
    ----------
    model : keras.Model
    x : numpy.ndarray, shape (N, L, 4)
    y : numpy.ndarray, shape (N, T)
    head : {"sigmoid", "softmax"}

    Returns
    -------
    numpy.ndarray, float32, shape (N, L)
    """
    import keras
    import tensorflow as tf

    from glifac.training.attngen import LOSSES, embedding_layer_name

    name = embedding_layer_name(model)
    embed = keras.Model(model.input, model.get_layer(name).output)
    rest = keras.Model(model.get_layer(name).output, model.output)
    loss = LOSSES[head](reduction="sum")
    parts = []
    for i in range(0, len(x), batch_size):
        e = tf.constant(embed(x[i:i + batch_size], training=False))
        with tf.GradientTape() as tape:
            tape.watch(e)
            value = loss(y[i:i + batch_size], rest(e, training=False))  # sum: per-sequence gradients
        parts.append(tf.norm(tape.gradient(value, e), axis=-1).numpy())
    return np.concatenate(parts).astype(np.float32)


def mask_curve(run, config: MaskCurveConfig | None = None, out=None, *, data=None, force: bool = True) -> dict:
    """Accuracy against the number of masked positions, three orders (the module docstring).

    Raises
    ------
    InputError
        An incomplete run, a step larger than the sequence length, or a bad setting.
    """
    import simulate
    from analysis.attribution import rank_positions
    from analysis.classification import accuracy
    from architectures.access import predict_in_batches
    from glifac.rundir import load_run_model, open_run, package_versions
    from simulate.files import refuse_existing

    config = config or MaskCurveConfig()
    run_dir, run_config, data_path = open_run(run, data)
    out = Path(out) if out is not None else run_dir
    names = [out / name for name in OUTPUT_NAMES]
    for path in names:
        refuse_existing(path, force)
    dataset = simulate.load(data_path, splits=("test",))
    model, model_config = load_run_model(run_dir, run_config)
    n = min(config.n_sequences, len(dataset.x_test))
    x = dataset.x_test[:n].astype(np.float32)
    y = dataset.y_test[:n].astype(np.float32)
    length = x.shape[1]
    if config.step_list[-1] > length:
        raise InputError(f"steps go up to {config.step_list[-1]} masked positions; sequences have {length}")
    importance = gradient_importance(model, x, y, model_config.head, config.batch_size)
    rng = np.random.default_rng(config.seed)
    # equal scores (max-pooling gives many zero gradients) are taken in random order, not from the left end
    rankings = {ORDERS[0]: rank_positions(importance, True, rng), ORDERS[1]: rank_positions(importance, False, rng),
                ORDERS[2]: np.argsort(rng.random(importance.shape), axis=1)}
    folds = np.array_split(np.arange(n), min(config.folds, n))
    curves = {}
    for order, ranking in rankings.items():
        per_fold = np.zeros((len(folds), len(config.step_list)))
        for j, k in enumerate(config.step_list):
            masked = x.copy()
            rows = np.repeat(np.arange(n), k)
            masked[rows, ranking[:, :k].ravel()] = 0.0  # the padding token: an all-zero row
            prob = predict_in_batches(model, masked, config.batch_size)
            for f, fold in enumerate(folds):
                per_fold[f, j] = accuracy(y[fold], prob[fold], model_config.head)
        curves[order] = {"mean": per_fold.mean(axis=0).tolist(), "sd": per_fold.std(axis=0).tolist()}
    summary = {"steps": config.step_list, "curves": curves, "n_sequences": n,
               "provenance": {"run": str(run_dir.resolve()), "data": data_path, "config": asdict(config)},
               "versions": package_versions()}
    _write(out, summary, force)
    return summary


def _write(out: Path, summary: dict, force: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulate.files import atomic_path, atomic_write_json

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for order, curve in summary["curves"].items():
        mean, sd = np.array(curve["mean"]), np.array(curve["sd"])
        ax.plot(summary["steps"], mean, marker="o", label=order)
        ax.fill_between(summary["steps"], mean - sd, mean + sd, alpha=0.2)
    ax.set_xlabel("positions masked per sequence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"masking by gradient importance ({summary['n_sequences']} sequences)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(out / OUTPUT_NAMES[1], suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    atomic_write_json(out / OUTPUT_NAMES[0], summary)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="a complete run directory")
    parser.add_argument("--data", default=None, help="dataset file (default: the run's)")
    parser.add_argument("--n", type=int, default=MaskCurveConfig.n_sequences, dest="n_sequences",
                        help="test sequences (default %(default)s)")
    parser.add_argument("--steps", default=MaskCurveConfig.steps, help="masked positions (default %(default)s)")
    parser.add_argument("--folds", type=int, default=MaskCurveConfig.folds, help="parts for the sd (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random order (default 0)")
    parser.add_argument("--out", default=None, help="output folder (default: the run directory)")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs")


def run(args) -> int:
    config = MaskCurveConfig(n_sequences=args.n_sequences, steps=args.steps, folds=args.folds, seed=args.seed)
    summary = mask_curve(args.run, config, args.out, data=args.data, force=args.force or args.out is None)
    for order, curve in summary["curves"].items():
        print(f"{order:<24} " + "  ".join(f"{k}:{m:.3f}" for k, m in zip(summary["steps"], curve["mean"])))
    return 0
