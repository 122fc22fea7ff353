"""Motif sets to label filters with: a MEME-format file, or a JASPAR collection (offline).

:func:`read_meme` reads the MEME minimal motif format (what ``meme``, ``streme``,
``tomtom`` and JASPAR's downloads write)::

    MEME version 4
    ALPHABET= ACGT
    MOTIF MA0139.1 CTCF
    letter-probability matrix: alength= 4 w= 19 nsites= 20 E= 0
     0.09 0.32 0.08 0.51
     ...

Each motif is named by its alternate name when it has one (``CTCF``), else
its identifier. :func:`reference_grammar` turns a motif set and optional
ground-truth pairs into a :class:`simulate.Grammar`, the object interpretation
scores against.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from simulate.errors import InputError
from simulate.validate import check_ppm

_MATRIX = re.compile(r"letter-probability matrix:(.*)", re.IGNORECASE)


def read_meme(path) -> list[tuple[str, np.ndarray]]:
    """``[(name, ppm (W, 4))]`` from a MEME-format motif file (rows A, C, G, T, each summing to 1).

    Raises
    ------
    InputError
        Missing file, no motifs, an alphabet other than ACGT, a matrix whose
        width disagrees with its rows or whose rows do not sum to 1.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"motif file not found: {path}")
    lines = path.read_text(errors="replace").splitlines()
    declared = next((line for line in lines if line.upper().startswith("ALPHABET")), "ALPHABET= ACGT")
    alphabet = declared.split("=", 1)[1].strip() if "=" in declared else declared[len("ALPHABET"):].strip()
    if (alphabet.upper().split() or ["custom"])[0] not in ("ACGT", "DNA"):
        raise InputError(f"{path}: alphabet {alphabet!r}; only DNA (ACGT) motifs can label filters")
    motifs, i = [], 0
    while i < len(lines):
        parts = lines[i].split()
        if parts[:1] == ["MOTIF"] and len(parts) >= 2:
            name = parts[2] if len(parts) >= 3 else parts[1]
            j = i + 1
            while j < len(lines) and not _MATRIX.search(lines[j]) and not lines[j].startswith("MOTIF"):
                j += 1
            if j >= len(lines) or lines[j].startswith("MOTIF"):
                raise InputError(f"{path}: motif {name} has no letter-probability matrix")
            width = re.search(r"w=\s*(\d+)", lines[j])
            rows = []
            k = j + 1
            while k < len(lines) and (width is None or len(rows) < int(width.group(1))):
                values = lines[k].split()
                if not values:
                    if rows and width is None:
                        break
                    k += 1
                    continue
                try:
                    rows.append([float(v) for v in values])
                except ValueError:
                    break
                k += 1
            if width is not None and len(rows) != int(width.group(1)):
                raise InputError(f"{path}: motif {name} declares w= {width.group(1)} but has {len(rows)} rows")
            if not rows or any(len(r) != 4 for r in rows):
                raise InputError(f"{path}: motif {name} needs rows of 4 probabilities (A, C, G, T)")
            motifs.append((name, check_ppm(rows, f"{path}: motif {name}")))
            i = k
        else:
            i += 1
    if not motifs:
        raise InputError(f"{path}: no MOTIF entries (expected the MEME motif format)")
    return motifs


def read_truth(path, motif_names) -> list[tuple[str, str, str]]:
    """Ground-truth pairs from a TSV: ``motif_a<TAB>motif_b[<TAB>logic]`` per line ('#' starts a comment).

    Names must be among ``motif_names`` (letter case aside: ``SIX3`` finds JASPAR's ``Six3``); the logic (``and``, ``xor``, anything
    else) is recorded as given, ``unknown`` when absent.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"truth file not found: {path}")
    import difflib

    by_upper = {}
    for name in motif_names:
        by_upper.setdefault(name.upper(), name)
    pairs = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) < 2:
            raise InputError(f"{path}: line {number} needs two motif names")
        names = []
        for given in (fields[0].strip(), fields[1].strip()):
            if given.upper() not in by_upper:
                close = difflib.get_close_matches(given, list(motif_names), n=3)
                hint = f" (close: {', '.join(close)})" if close else ""
                raise InputError(f"{path}: line {number} names motif {given!r}, which is not in the motif set{hint}")
            names.append(by_upper[given.upper()])
        a, b = names
        if a == b:
            raise InputError(f"{path}: line {number} pairs {a} with itself")
        pairs.append((a, b, fields[2].strip().lower() if len(fields) > 2 else "unknown"))
    if not pairs:
        raise InputError(f"{path}: no motif pairs")
    return pairs


def reference_grammar(motifs, truth=(), description: str = ""):
    """A :class:`simulate.Grammar` holding ``motifs`` ([(name, ppm)]) and ``truth`` pairs, to score against.

    Motif names must be unique: the first of each name is kept (JASPAR has a
    few versions of some factors; MEME files may repeat names).
    """
    from simulate.grammar import REFERENCE_SOURCE, Grammar, Interaction, Motif

    seen, kept = set(), []
    for name, ppm in motifs:
        if name not in seen:
            seen.add(name)
            kept.append(Motif(name=name, ppm=np.asarray(ppm, dtype=float), source=REFERENCE_SOURCE))
    interactions = tuple(Interaction(motifs=(a, b), logic=logic) for a, b, logic in truth)
    return Grammar(motifs=tuple(kept), interactions=interactions, description=description)
