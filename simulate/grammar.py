"""Motif grammars: which motifs a simulated sequence may carry and how they interact.

A grammar is a JSON file (see ``grammars/paper.json``, the default)::

    {"jaspar_release": "JASPAR2020",
     "motifs": [{"name": "M1", "jaspar_id": "MA0001.2"},
                {"name": "M2", "ppm": [[0.9, 0.03, 0.03, 0.04], ...]},
                {"name": "M3", "jaspar_id": "MA0002.2"}],
     "interactions": [{"motifs": ["M1", "M2"], "logic": "and"}]}

``decoys`` (optional)
    pairs of motifs seeded together exactly as interacting pairs are (same
    rule, same probability) but labelled independently:
    ``"decoys": [{"motifs": ["M3", "M4"]}]``. They co-occur as often as the
    true pairs, so a method that recovers true pairs only because they
    co-occur ranks decoys as high; see ``grammars/paper-decoys.json``.
``extends`` (optional)
    a shipped grammar's name (or a path, relative to this file) whose fields
    this file starts from; its own fields replace the base's. How
    ``paper-decoys.json`` adds decoys to the paper's grammar without writing
    its motifs again.

``two_class`` (optional)
    turns the labels into two classes, one per sequence:
    ``{"names": ["negative", "positive"], "logics": ["and"]}`` makes a
    sequence positive when any interaction with one of those logics has its
    label on, negative otherwise; the dataset then has two one-hot label
    columns named by ``names`` instead of one per motif (for softmax models
    such as AttnGen-CNN; see ``grammars/two-class.json``).

Optional sampling fields (defaults in :data:`SAMPLING_DEFAULTS`):

``instances``
    ``[min, max]`` motif instances per sequence (default ``[1, 5]``).
``pair_probability``
    probability that a sequence is seeded with both motifs of one pair,
    chosen uniformly among the interactions and decoys (default 0.5). With 0
    nothing is seeded and motifs co-occur only by chance: an AND label then
    needs two independent hits and its positive rate falls from ~0.15 to
    ~0.05 with the paper's grammar (``grammars/paper-unseeded.json``); see ``simulate.generate``.
``background``
    base composition ``[pA, pC, pG, pT]`` of the i.i.d. background (default uniform).
``min_gap``
    minimum number of background bases between instances and between an
    instance and either sequence end (default 1).

Motif order in the file is task order. A motif may take part in at most one
interaction or decoy pair, so every label has exactly one rule.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_ppm

LOGICS = ("and", "xor")
SAMPLING_DEFAULTS = {
    "instances": [1, 5],
    "pair_probability": 0.5,
    "background": [0.25, 0.25, 0.25, 0.25],
    "min_gap": 1,
}
DEFAULT_GRAMMAR = "paper.json"
REFERENCE_SOURCE = "reference"  # Motif.source of a reference set (JASPAR or a MEME file) scored against


@dataclass(frozen=True)
class Motif:
    """One motif: a name and a position probability matrix.

    Attributes
    ----------
    name : str
    ppm : numpy.ndarray, shape (W, 4)
        Rows are positions, columns A, C, G, T; each row sums to 1.
    source : str
        ``"JASPAR2020:MA0466.2"`` for database motifs, ``"ppm"`` for explicit ones,
        ``REFERENCE_SOURCE`` for a motif set to label filters with (not to simulate).
    """

    name: str
    ppm: np.ndarray
    source: str = "ppm"

    @property
    def width(self) -> int:
        return int(self.ppm.shape[0])


@dataclass(frozen=True)
class Interaction:
    """A pair of motifs and the logic that ties their labels together."""

    motifs: tuple[str, str]
    logic: str


@dataclass(frozen=True)
class Grammar:
    """A resolved grammar: motifs with PPMs, interactions and sampling settings."""

    motifs: tuple[Motif, ...]
    interactions: tuple[Interaction, ...] = ()
    decoys: tuple[tuple[str, str], ...] = ()
    sampling: dict = field(default_factory=lambda: dict(SAMPLING_DEFAULTS))
    jaspar_release: str | None = None
    description: str = ""
    two_class: dict | None = None

    @property
    def motif_names(self) -> list[str]:
        return [m.name for m in self.motifs]

    @property
    def output_names(self) -> list[str]:
        """Names of the label columns: the two class names with ``two_class``, else one per motif."""
        return list(self.two_class["names"]) if self.two_class is not None else self.motif_names

    @property
    def is_reference_set(self) -> bool:
        """True for a motif set built to score a model against (:func:`simulate.motif_files.reference_grammar`)."""
        return all(m.source == REFERENCE_SOURCE for m in self.motifs)

    @property
    def max_width(self) -> int:
        return max(m.width for m in self.motifs)

    def index(self, name: str) -> int:
        return self.motif_names.index(name)

    def interaction_pairs(self) -> list[tuple[str, str, str]]:
        """Ground-truth pairs as ``(motif_a, motif_b, logic)``."""
        return [(i.motifs[0], i.motifs[1], i.logic) for i in self.interactions]

    def seeded_pairs(self) -> list[tuple[str, str]]:
        """Every pair a sequence may be seeded with: the interactions, then the decoys."""
        return [tuple(i.motifs) for i in self.interactions] + list(self.decoys)

    def min_length(self) -> int:
        """Shortest sequence that can hold the most instances of the widest motif."""
        n_max = self.sampling["instances"][1]
        return n_max * self.max_width + (n_max + 1) * self.sampling["min_gap"]

    def to_dict(self) -> dict:
        """Fully resolved form: every motif's name, source and PPM, the interactions."""
        return {
            "description": self.description,
            "jaspar_release": self.jaspar_release,
            "motifs": [
                {"name": m.name, "source": m.source, "ppm": np.round(m.ppm, 6).tolist()}
                for m in self.motifs
            ],
            "interactions": [
                {"motifs": list(i.motifs), "logic": i.logic} for i in self.interactions
            ],
            "decoys": [{"motifs": list(pair)} for pair in self.decoys],
            **{key: self.sampling[key] for key in SAMPLING_DEFAULTS},
            **({"two_class": self.two_class} if self.two_class is not None else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def _grammars_dir() -> Path:
    return Path(str(resources.files("simulate") / "grammars"))


def default_grammar_path() -> Path:
    return _grammars_dir() / DEFAULT_GRAMMAR


def shipped_grammars() -> list[str]:
    """Names of the grammars shipped with the package (``paper``, ...), usable as ``--grammar NAME``."""
    return sorted(p.stem for p in _grammars_dir().glob("*.json"))


def load_grammar(path: str | Path | None = None) -> Grammar:
    """Read and resolve a grammar: a file path, a shipped grammar's name, or ``None`` (the paper's).

    Raises
    ------
    InputError
        Missing or malformed file, unknown JASPAR ID, invalid PPM, an
        interaction naming a motif not in the grammar.
    """
    if path is None:
        path = default_grammar_path()
    elif not Path(path).is_file() and str(path) in shipped_grammars():
        path = _grammars_dir() / f"{path}.json"
    path = Path(path)
    if not path.is_file():
        raise InputError(f"grammar file not found: {path} (shipped grammars: {', '.join(shipped_grammars())})")
    return grammar_from_dict(_read_spec(path), where=str(path))


def _read_spec(path: Path, seen: tuple = ()) -> dict:
    """A grammar file's specification with its ``extends`` chain resolved."""
    try:
        spec = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"grammar file {path} is not valid JSON ({exc})") from None
    if not isinstance(spec, dict) or "extends" not in spec:
        return spec
    base = str(spec.pop("extends"))
    base_path = path.parent / base if (path.parent / base).is_file() else _grammars_dir() / f"{base}.json"
    if not base_path.is_file():
        raise InputError(f"{path}: 'extends' names {base!r}, which is neither a file beside it nor a shipped "
                         f"grammar ({', '.join(shipped_grammars())})")
    if base_path.resolve() in seen:
        raise InputError(f"{path}: 'extends' goes round in a circle")
    return {**_read_spec(base_path, seen + (path.resolve(),)), **spec}


def grammar_from_json(text: str) -> Grammar:
    """Rebuild a grammar from :meth:`Grammar.to_json` output (no database access)."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"stored grammar is not valid JSON ({exc})") from None
    return grammar_from_dict(spec, where="stored grammar")


def grammar_from_dict(spec: dict, where: str = "grammar") -> Grammar:
    """Validate a grammar specification and resolve every motif to a PPM."""
    if not isinstance(spec, dict) or not isinstance(spec.get("motifs"), list) or not spec["motifs"]:
        raise InputError(f"{where}: expected an object with a non-empty 'motifs' list")
    release = spec.get("jaspar_release", "JASPAR2020")
    motifs = tuple(_resolve_motif(entry, release, where) for entry in spec["motifs"])
    names = [m.name for m in motifs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{where}: motif names repeated: {', '.join(duplicated)}")
    raw_interactions = spec.get("interactions", [])
    if not isinstance(raw_interactions, list):
        raise InputError(f"{where}: 'interactions' must be a list")
    interactions = tuple(_parse_interaction(entry, names, where) for entry in raw_interactions)
    raw_decoys = spec.get("decoys", [])
    if not isinstance(raw_decoys, list):
        raise InputError(f"{where}: 'decoys' must be a list")
    decoys = tuple(_parse_pair(entry, names, where, "decoy") for entry in raw_decoys)
    seen: set[str] = set()
    for pair in [i.motifs for i in interactions] + list(decoys):
        for name in pair:
            if name in seen:
                raise InputError(f"{where}: motif {name} is in more than one interaction or decoy pair")
            seen.add(name)
    sampling = _parse_sampling(spec, where)
    two_class = _parse_two_class(spec.get("two_class"), where)
    return Grammar(
        motifs=motifs,
        interactions=interactions,
        decoys=decoys,
        sampling=sampling,
        jaspar_release=release if any(m.source != "ppm" for m in motifs) else spec.get("jaspar_release"),
        description=str(spec.get("description", "")),
        two_class=two_class,
    )


def _parse_two_class(entry, where: str) -> dict | None:
    if entry is None:
        return None
    names, logics = (entry.get(key) if isinstance(entry, dict) else None for key in ("names", "logics"))
    if not (isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) and n for n in names)
            and names[0] != names[1]):
        raise InputError(f"{where}: 'two_class' needs 'names': two different class names [negative, positive]")
    if not (isinstance(logics, list) and logics and all(str(v).lower() in LOGICS for v in logics)):
        raise InputError(f"{where}: 'two_class' needs 'logics': a non-empty list of {' / '.join(LOGICS)}")
    return {"names": list(names), "logics": sorted({str(v).lower() for v in logics})}


def _resolve_motif(entry, release: str, where: str) -> Motif:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise InputError(f"{where}: each motif needs a 'name' string")
    name = entry["name"]
    if "ppm" in entry:
        ppm = _validate_ppm(entry["ppm"], name, where)
        return Motif(name=name, ppm=ppm, source=str(entry.get("source", "ppm")))
    if "jaspar_id" in entry:
        from simulate.jaspar import jaspar_ppm

        jaspar_id = str(entry["jaspar_id"])
        return Motif(name=name, ppm=jaspar_ppm(jaspar_id, release), source=f"{release}:{jaspar_id}")
    raise InputError(f"{where}: motif {name} needs a 'jaspar_id' or a 'ppm'")


def _validate_ppm(rows, name: str, where: str) -> np.ndarray:
    return check_ppm(rows, f"{where}: motif {name} ppm")


def _parse_pair(entry, names: list[str], where: str, kind: str) -> tuple[str, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("motifs"), list) or len(entry["motifs"]) != 2:
        raise InputError(f"{where}: each {kind} needs 'motifs': [A, B]")
    a, b = (str(m) for m in entry["motifs"])
    for motif in (a, b):
        if motif not in names:
            raise InputError(f"{where}: {kind} names motif {motif}, which is not in the grammar")
    if a == b:
        raise InputError(f"{where}: {kind} pairs motif {a} with itself")
    return a, b


def _parse_interaction(entry, names: list[str], where: str) -> Interaction:
    a, b = _parse_pair(entry, names, where, "interaction")
    logic = str(entry.get("logic", "")).lower()
    if logic not in LOGICS:
        raise InputError(f"{where}: interaction {a}/{b} logic must be one of {', '.join(LOGICS)}")
    return Interaction(motifs=(a, b), logic=logic)


def _parse_sampling(spec: dict, where: str) -> dict:
    sampling = dict(SAMPLING_DEFAULTS)
    for key in SAMPLING_DEFAULTS:
        if key in spec:
            sampling[key] = spec[key]
    lo_hi = sampling["instances"]
    if (
        not isinstance(lo_hi, list) or len(lo_hi) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in lo_hi)
        or not 1 <= lo_hi[0] <= lo_hi[1]
    ):
        raise InputError(f"{where}: 'instances' must be [min, max] with 1 <= min <= max")
    p = sampling["pair_probability"]
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
        raise InputError(f"{where}: 'pair_probability' must be a number in [0, 1]")
    if p > 0 and lo_hi[1] < 2 and (spec.get("interactions") or spec.get("decoys")):
        raise InputError(f"{where}: 'pair_probability' > 0 needs at least 2 instances per sequence")
    try:
        background = np.asarray(sampling["background"], dtype=float) if isinstance(sampling["background"], list) else None
    except (TypeError, ValueError):
        background = None
    if background is None or background.shape != (4,) or np.any(background < 0) or not np.isclose(background.sum(), 1):
        raise InputError(f"{where}: 'background' must be 4 non-negative numbers summing to 1 (A, C, G, T)")
    gap = sampling["min_gap"]
    if not isinstance(gap, int) or isinstance(gap, bool) or gap < 0:
        raise InputError(f"{where}: 'min_gap' must be a non-negative integer")
    sampling["background"] = [float(v) for v in background]
    sampling["pair_probability"] = float(p)
    return sampling
