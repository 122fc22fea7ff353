"""Global importance analysis (GIA) of motif pairs: ask the model, not the data, whether two motifs interact.

Following Koo et al. (PLoS Comput Biol 2021), motifs are embedded into
background sequences at controlled positions and the model's predictions are
compared. For a pair (A, B), a background ``x`` and a placement (A at start
``p``, B at start ``q``), on every task, in logit space::

    epistasis = f(x + A@p + B@q) - f(x + A@p) - f(x + B@q) + f(x)

the effect of both minus the sum of the single effects. An additive model
gives 0 whatever its single effects; an AND unit gives a positive value, XOR a
negative one. The interaction of a pair is the mean over backgrounds, both
orders (A first, B first) and several distances, with its standard deviation.

The model enters as a ``predict`` callable (``(n, L, 4) float32 -> (n, T)``
probabilities), so this module stays free of Keras. Only batched forward
passes: each background's prediction and each single embedding is computed
once and shared by every pair it belongs to.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from analysis._validate import check_int, check_random_state
from simulate.errors import InputError
from simulate.validate import check_one_hot_shape, check_ppm

__all__ = ["GIAResult", "default_distances", "global_importance"]

_LOGIT_CLIP = 1e-7


@dataclass
class GIAResult:
    """Pairwise epistasis of every motif pair on every task.

    Attributes
    ----------
    motif_names : list of str, length M
    pairs : list of (str, str), length P
    task_names : list of str, length T
    mean, sd : numpy.ndarray, shape (P, T)
        Epistasis (logit space) averaged over backgrounds, orders and distances, and its spread.
    n_samples : numpy.ndarray, shape (P,)
        Samples behind each pair (backgrounds × placements that fit).
    single_effect : numpy.ndarray, shape (M, T)
        Mean effect of embedding each motif alone, ``f(x + m) - f(x)``, over its placements.
    distances : list of int
        Centre-to-centre distances at which some pair fits (the others were skipped).
    n_predictions : int
        Sequences passed to ``predict``.
    """

    motif_names: list
    pairs: list
    task_names: list
    mean: np.ndarray
    sd: np.ndarray
    n_samples: np.ndarray
    single_effect: np.ndarray
    distances: list
    n_predictions: int = 0
    extra: dict = field(default_factory=dict)

    def pair_scores(self, own_tasks: bool = True) -> np.ndarray:
        """One score per pair, shape (P,): the largest |mean epistasis| over the pair's own tasks
        (tasks named like its motifs, when both are) or else over every task."""
        task_index = {name: t for t, name in enumerate(self.task_names)}
        out = np.empty(len(self.pairs))
        for k, (a, b) in enumerate(self.pairs):
            tasks = [task_index[a], task_index[b]] if own_tasks and a in task_index and b in task_index \
                else list(range(len(self.task_names)))
            out[k] = np.max(np.abs(self.mean[k, tasks]))
        return out


def default_distances(length: int) -> list[int]:
    """Centre-to-centre distances tried by default: 20%, 35% and 50% of the sequence length."""
    return sorted({max(1, int(round(f * length))) for f in (0.2, 0.35, 0.5)})


def global_importance(predict: Callable[[np.ndarray], np.ndarray], backgrounds, motifs: dict, *,
                      pairs=None, distances=None, instances: str = "consensus", task_names=None,
                      batch_size: int = 2048, random_state=None, progress=None) -> GIAResult:
    """Epistasis of motif pairs embedded into backgrounds (see the module docstring).

    Parameters
    ----------
    predict : callable
        ``predict(x)`` with ``x`` (n, L, 4) float32 one-hot returns (n, T) probabilities.
    backgrounds : array_like, shape (N, L, 4)
        One-hot background sequences (e.g. dinucleotide shuffles of test sequences).
    motifs : dict
        Motif name -> PPM (W, 4), rows A, C, G, T.
    pairs : list of (str, str), optional
        Pairs to test (default: every unordered pair of ``motifs``).
    distances : list of int, optional
        Centre-to-centre distances (default :func:`default_distances`). The pair is
        centred in the sequence; placements that do not fit (overlap, or past an end)
        are skipped for that pair, and a pair that fits at none raises InputError.
    instances : {"consensus", "sampled"}
        Embed each motif's consensus, or one instance sampled from its PPM per
        background (the same instance in the single and the pair embedding).
    task_names : list of str, optional
        Names of the T outputs (default ``task_0`` ...).
    batch_size : int
        Sequences per ``predict`` call.
    random_state : None, int or numpy.random.RandomState
        For sampled instances.
    progress : callable, optional
        Called with the number of sequences predicted so far.

    Returns
    -------
    GIAResult
    """
    backgrounds = np.asarray(backgrounds)
    n_bg, length, _ = check_one_hot_shape(backgrounds, "backgrounds")
    if n_bg == 0:
        raise InputError("backgrounds holds no sequences")
    if not isinstance(motifs, dict) or len(motifs) < 2:
        raise InputError("motifs must map at least two motif names to PPMs")
    ppms = {str(name): check_ppm(ppm, f"motif {name}") for name, ppm in motifs.items()}
    names = list(ppms)
    pairs = list(itertools.combinations(names, 2)) if pairs is None else [tuple(map(str, p)) for p in pairs]
    for a, b in pairs:
        if a not in ppms or b not in ppms or a == b:
            raise InputError(f"pair ({a}, {b}) must name two different motifs among {', '.join(names)}")
    distances = default_distances(length) if distances is None else [check_int(d, "distance", 1) for d in distances]
    if instances not in ("consensus", "sampled"):
        raise InputError(f"instances must be 'consensus' or 'sampled', got {instances!r}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    rs = check_random_state(random_state)
    encoded = {name: _instances(ppm, n_bg, instances, rs) for name, ppm in ppms.items()}
    runner = _Runner(predict, batch_size, progress)

    f0 = runner.logits([backgrounds.astype(np.float32)])[0]                       # (N, T)
    n_tasks = f0.shape[1]
    task_names = [f"task_{t}" for t in range(n_tasks)] if task_names is None else list(task_names)
    if len(task_names) != n_tasks:
        raise InputError(f"{len(task_names)} task names for a model with {n_tasks} outputs")

    # placements per pair: (start of the first motif, start of the second) for both orders and every distance
    placements = {pair: _placements(pair, ppms, distances, length) for pair in pairs}
    unplaced = [pair for pair, plans in placements.items() if not plans]
    if unplaced:
        raise InputError(f"motifs {unplaced[0][0]} and {unplaced[0][1]} fit at none of the distances {distances} "
                         f"in {length}-nt sequences")
    singles_needed = sorted({(m, start) for pair, plans in placements.items()
                             for first, second, p, q in plans for m, start in ((first, p), (second, q))})
    single_logits = dict(zip(singles_needed, runner.logits(
        _embed(backgrounds, [(encoded[m], start)]) for m, start in singles_needed)))

    total = np.zeros((len(pairs), n_tasks))
    total_sq = np.zeros((len(pairs), n_tasks))
    count = np.zeros(len(pairs), dtype=np.int64)
    jobs = [(k, first, second, p, q) for k, pair in enumerate(pairs) for first, second, p, q in placements[pair]]
    per_call = max(1, batch_size // n_bg)
    for start in range(0, len(jobs), per_call):
        chunk = jobs[start:start + per_call]
        both = runner.logits(_embed(backgrounds, [(encoded[first], p), (encoded[second], q)])
                             for _, first, second, p, q in chunk)
        for (k, first, second, p, q), f_ab in zip(chunk, both):
            eps = f_ab - single_logits[(first, p)] - single_logits[(second, q)] + f0
            total[k] += eps.sum(axis=0)
            total_sq[k] += (eps * eps).sum(axis=0)
            count[k] += n_bg
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count[:, None]
        var = (total_sq - count[:, None] * mean * mean) / np.maximum(count[:, None] - 1, 1)
    sd = np.sqrt(np.maximum(var, 0))
    single = np.zeros((len(names), n_tasks))
    for i, name in enumerate(names):
        effects = [single_logits[key] - f0 for key in singles_needed if key[0] == name]
        single[i] = np.mean([e.mean(axis=0) for e in effects], axis=0) if effects else np.nan
    used = sorted({d for pair in pairs for d in _fitting_distances(pair, ppms, distances, length)})
    return GIAResult(motif_names=names, pairs=pairs, task_names=task_names, mean=mean, sd=sd, n_samples=count,
                     single_effect=single, distances=used, n_predictions=runner.n_predicted)


def _instances(ppm: np.ndarray, n: int, how: str, rs) -> np.ndarray:
    """(W, 4) consensus one-hot, or (n, W, 4) instances sampled from the PPM, float32."""
    width = ppm.shape[0]
    if how == "consensus":
        return np.eye(4, dtype=np.float32)[ppm.argmax(axis=1)]
    cdf = np.cumsum(ppm, axis=1)[:, :3]
    bases = (rs.random_sample((n, width))[:, :, None] > cdf[None]).sum(axis=2)
    return np.eye(4, dtype=np.float32)[bases]


def _fitting_distances(pair, ppms, distances, length) -> list[int]:
    """The distances at which ``pair`` fits in at least one order."""
    return [d for d in distances if _placements(pair, ppms, [d], length)]


def _placements(pair, ppms, distances, length) -> list[tuple[str, str, int, int]]:
    """``(first motif, second motif, start of first, start of second)`` for both orders and every
    distance at which the pair fits, centred in the sequence without overlap."""
    out = []
    for first, second in (pair, pair[::-1]):
        w1, w2 = ppms[first].shape[0], ppms[second].shape[0]
        for d in distances:
            c1 = length / 2 - d / 2
            p, q = int(round(c1 - w1 / 2)), int(round(c1 + d - w2 / 2))
            if p >= 0 and p + w1 <= q and q + w2 <= length:  # touching is allowed, overlapping is not
                out.append((first, second, p, q))
    return out


def _embed(backgrounds: np.ndarray, items) -> np.ndarray:
    """Copies of ``backgrounds`` (N, L, 4) with each ``(instance, start)`` written in."""
    x = backgrounds.astype(np.float32, copy=True)
    for instance, start in items:
        x[:, start:start + instance.shape[-2], :] = instance
    return x


class _Runner:
    """Calls ``predict`` on lists of arrays in batches of about ``batch_size`` sequences; returns logits."""

    def __init__(self, predict, batch_size, progress):
        self.predict, self.batch_size, self.progress = predict, batch_size, progress
        self.n_predicted = 0

    def logits(self, arrays) -> list:
        """Logits of every array of an iterable (consumed lazily, so only a batch is held at once)."""
        out = []
        pending, sizes = [], []
        for array in itertools.chain(arrays, [None]):
            if array is not None:
                pending.append(array)
                sizes.append(len(array))
            if pending and (array is None or sum(sizes) >= self.batch_size):
                x = np.concatenate(pending)
                probs = np.asarray(self.predict(x), dtype=np.float64)
                if probs.ndim != 2 or len(probs) != len(x):
                    raise InputError(f"predict returned shape {probs.shape} for {len(x)} sequences; expected (n, T)")
                p = np.clip(probs, _LOGIT_CLIP, 1 - _LOGIT_CLIP)
                z = np.log(p) - np.log1p(-p)
                out.extend(np.split(z, np.cumsum(sizes)[:-1]))
                self.n_predicted += len(x)
                if self.progress is not None:
                    self.progress(self.n_predicted)
                pending, sizes = [], []
        return out
