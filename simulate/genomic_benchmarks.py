"""Read a Genomic Benchmarks dataset folder a user already has and write it as a dataset file.

Genomic Benchmarks (Grešová et al. 2023) ships its datasets as folders::

    <name>/train/<class>/<id>.txt    one sequence per file, no header
    <name>/test/<class>/<id>.txt

(``demo_human_or_worm``: classes ``human`` and ``worm``, 100k sequences of
200 nt, 75/25 split). The package cannot download them here; point it at a
folder that exists. Classes are sorted by name (column k of the labels is the
k-th name); the validation split is a seeded random ``valid_fraction`` of
``train``. N and the other IUPAC ambiguity codes become all-zero rows
(:func:`simulate.encoding.encode` with ``ambiguous="zero"``). The file has no
grammar and no placements: there is no ground truth to score against.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from simulate.encoding import encode
from simulate.errors import InputError

SPLITS = ("train", "test")


def read_folder(folder) -> tuple[list[str], dict[str, tuple[list[str], np.ndarray]]]:
    """``(class names, {split: (sequences, class index per sequence)})`` of a Genomic Benchmarks folder.

    Raises
    ------
    InputError
        A missing split folder, fewer than two classes, classes that differ
        between the splits, an empty class folder or an empty sequence file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"Genomic Benchmarks folder not found: {folder}")
    classes = None
    out = {}
    for split in SPLITS:
        split_dir = folder / split
        if not split_dir.is_dir():
            raise InputError(f"{folder} has no {split}/ folder (expected {split}/<class>/<id>.txt)")
        names = sorted(p.name for p in split_dir.iterdir() if p.is_dir())
        if len(names) < 2:
            raise InputError(f"{split_dir} has {len(names)} class folder(s); a classification needs at least 2")
        if classes is not None and names != classes:
            raise InputError(f"{folder}: train classes {classes} differ from test classes {names}")
        classes = names
        sequences, labels = [], []
        for k, name in enumerate(names):
            files = sorted((split_dir / name).glob("*.txt"))
            if not files:
                raise InputError(f"{split_dir / name} holds no .txt sequence files")
            for path in files:
                text = "".join(path.read_text().split())
                if not text:
                    raise InputError(f"{path} is empty")
                sequences.append(text)
                labels.append(k)
        out[split] = (sequences, np.asarray(labels, dtype=np.int64))
    return classes, out


def convert(folder, out, *, valid_fraction: float = 0.1, seed: int = 0, force: bool = False) -> Path:
    """Write a Genomic Benchmarks folder as a dataset file (labels one-hot over the sorted classes).

    Parameters
    ----------
    folder : str or Path
    out : str or Path
        The ``.h5`` file to write.
    valid_fraction : float
        Share of ``train`` held out for validation, in (0, 1).
    seed : int
        Seeds the validation draw.
    force : bool
        Overwrite an existing file.
    """
    import json

    from simulate.dataset import write_arrays
    from simulate.files import refuse_existing

    if not 0 < valid_fraction < 1:
        raise InputError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
    refuse_existing(Path(out), force)
    classes, splits = read_folder(folder)
    lengths = {len(s) for seqs, _ in splits.values() for s in seqs}
    if len(lengths) > 1:
        raise InputError(f"{folder}: sequences have lengths {min(lengths)} to {max(lengths)}; a dataset file "
                         "needs one length (trim or pad them first)")
    eye = np.eye(len(classes), dtype=np.uint8)
    train_x = encode(splits["train"][0], ambiguous="zero")
    train_y = eye[splits["train"][1]]
    order = np.random.default_rng(seed).permutation(len(train_x))
    n_valid = max(1, int(round(valid_fraction * len(train_x))))
    if n_valid >= len(train_x):
        raise InputError(f"{folder}: too few training sequences ({len(train_x)}) to hold out a validation split")
    valid, train = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    arrays = {"train": {"x": train_x[train], "y": train_y[train]},
              "valid": {"x": train_x[valid], "y": train_y[valid]},
              "test": {"x": encode(splits["test"][0], ambiguous="zero"), "y": eye[splits["test"][1]]}}
    attrs = {"task_names": json.dumps(classes), "seed": int(seed), "length": int(lengths.pop()),
             "source": f"Genomic Benchmarks folder {Path(folder).resolve()}", "valid_fraction": float(valid_fraction)}
    return write_arrays(out, arrays, attrs, force=force)


def add_arguments(parser) -> None:
    parser.add_argument("folder", help="a Genomic Benchmarks dataset folder ({train,test}/<class>/<id>.txt)")
    parser.add_argument("--out", required=True, help="dataset file to write (.h5)")
    parser.add_argument("--valid-fraction", type=float, default=0.1,
                        help="share of train held out for validation (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the validation draw (default 0)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args) -> int:
    import simulate

    path = convert(args.folder, args.out, valid_fraction=args.valid_fraction, seed=args.seed, force=args.force)
    ds = simulate.load(path)
    print(f"{path}: classes {', '.join(ds.task_names)}; train {len(ds.x_train):,}, valid {len(ds.x_valid):,}, "
          f"test {len(ds.x_test):,} sequences of {ds.length} nt")
    return 0
