"""Interpretation settings: the typed config, attention thresholds, and the methods that are scored."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_fields

DEFAULT_THRESHOLDS = "0.0:0.9:0.1"
NULL_QUANTILES = {"q90": 0.90, "q95": 0.95, "q99": 0.99}
HEADLINE_THRESHOLD = 0.1
# The authors drop filters with at most this much information (bits) before GLIFAC.
AUTHORS_MIN_INFORMATION = 0.5
# Interaction scores reported at every threshold: key -> display name. Every table,
# figure and report section iterates over this one list. The last two are controls:
# GLIFAC over random same-sequence position pairs only (no attention), and the
# co-occurrence of the ground-truth motifs across sequences (no model; only where
# the dataset records its placements).
METHODS = {
    "glifac": "GLIFAC",
    "local": "Local attention",
    "glifac_random": "GLIFAC without attention",
    "cooccurrence": "Motif co-occurrence (no model)",
}


@dataclass(frozen=True)
class InterpretConfig:
    """Settings of :func:`glifac.interpretation.interpret` (the options of ``glifac interpret``).

    Parameters
    ----------
    thresholds : str
        Attention thresholds: comma-separated values, ``start:stop:step`` ranges
        (stop included) and null quantiles ``q90``, ``q95``, ``q99``
        (see :func:`parse_thresholds`).
    heads : {"max", "mean"}
        How attention heads are combined (the paper: max).
    null_shuffles : int
        Dinucleotide shuffles per test sequence for the null attention distribution.
    jaspar : bool
        Also match filters against all JASPAR2020 CORE vertebrate motifs.
    max_sequences : int or None
        Use only the first N test sequences (None: all).
    seed : int
        Seeds the shuffles and GLIFAC's random position pairs.
    batch_size : int
        Sequences per forward pass.
    """

    thresholds: str = DEFAULT_THRESHOLDS
    heads: str = "max"
    null_shuffles: int = 1
    jaspar: bool = False
    max_sequences: Optional[int] = None
    seed: int = 0
    batch_size: int = 500

    def __post_init__(self):
        check_fields(self)
        parse_thresholds(self.thresholds)
        if self.heads not in ("max", "mean"):
            raise InputError(f"heads must be 'max' or 'mean', got {self.heads!r}")
        if self.null_shuffles < 1:
            raise InputError(f"--null-shuffles must be at least 1, got {self.null_shuffles}")
        if self.max_sequences is not None and self.max_sequences < 1:
            raise InputError(f"--max-sequences must be at least 1, got {self.max_sequences}")
        if self.batch_size < 1:
            raise InputError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.seed < 0:
            raise InputError(f"--seed must be a non-negative integer, got {self.seed}")

    @property
    def threshold_items(self) -> list[tuple[float | None, str]]:
        """``(value, label)`` per threshold; null quantiles have value None until the null is known."""
        return parse_thresholds(self.thresholds)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def parse_thresholds(text: str) -> list[tuple[float | None, str]]:
    """Parse a thresholds string into ``(value, label)`` items; null quantiles get value None.

    Raises
    ------
    InputError
        A value outside [0, 1], a malformed range, or nothing at all.
    """
    items: list[tuple[float | None, str]] = []
    for token in (t.strip() for t in str(text).split(",")):
        if not token:
            continue
        if token in NULL_QUANTILES:
            items.append((None, token))
            continue
        try:
            parts = [float(p) for p in token.split(":")]
        except ValueError:
            raise InputError(f"--thresholds: cannot read {token!r} (use 0.1, 0.0:0.9:0.1 or q95)") from None
        if len(parts) == 3:
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise InputError(f"--thresholds: range {token!r} needs start <= stop and step > 0")
            values = list(np.round(np.arange(start, stop + step / 2, step), 10))
        elif len(parts) == 1:
            values = parts
        else:
            raise InputError(f"--thresholds: cannot read {token!r} (use 0.1, 0.0:0.9:0.1 or q95)")
        for value in values:
            if not (np.isfinite(value) and 0.0 <= value <= 1.0):
                raise InputError(f"--thresholds: {value:g} is outside [0, 1]")
            items.append((float(value), f"{value:g}"))
    if not items:
        raise InputError("--thresholds: no thresholds given")
    return items


def null_quantiles(null_attention: np.ndarray) -> dict[str, float]:
    """90/95/99% quantiles of off-diagonal null attention values, shape (N, L', L') in."""
    n, length, _ = null_attention.shape
    off_diagonal = ~np.eye(length, dtype=bool)
    values = null_attention[:, off_diagonal]
    return {name: float(np.quantile(values, q)) for name, q in NULL_QUANTILES.items()}
