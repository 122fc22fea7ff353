"""Benchmark: an AttnGen epoch against a plain epoch of the same model on the same data.

Trains CNN20-Exp (32-wide attention output, sigmoid head, the paper's default
data) for ``--epochs`` epochs with the plain objective and with the attngen
objective (mask 10%, KL 0.1) for each importance source, through
:func:`glifac.training.train`, and compares the median seconds per epoch from
``history.csv`` (the first epoch, which compiles, is left out). The attngen
step makes two forward passes and one backward pass through both; the target
is at most 2.2x the plain epoch for the embedding source (saliency adds one
more backward pass and is reported, not targeted).

Usage::

    python benchmarks/bench_attngen.py [--n 20000] [--epochs 3] [--model CNN20-Exp] [--sources embedding,saliency]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
from pathlib import Path

from _record import record

TARGET = 2.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--model", default="CNN20-Exp")
    parser.add_argument("--sources", default="embedding,attention,saliency,random")
    args = parser.parse_args()

    from glifac.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import simulate
    from glifac.training import model_for_data, recipe_config, train

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dataset = simulate.load(simulate.make_dataset(tmp / "data.h5", n=args.n, seed=0))
        config = model_for_data(args.model, dataset, {"attention_units": 32})
        settings = {"epochs": args.epochs, "patience": None}

        def epoch_seconds(name, training) -> float:
            train(dataset, config, training, tmp / name, quiet=True)
            with open(tmp / name / "history.csv") as fh:
                rows = list(csv.DictReader(fh))
            return statistics.median(float(r["seconds"]) for r in rows[1:] or rows)

        plain = epoch_seconds("plain", recipe_config("fast", **settings))
        print(f"plain: {plain:.2f} s/epoch", flush=True)
        results = {}
        for source in [s for s in args.sources.split(",") if s]:
            seconds = epoch_seconds(source, recipe_config("fast", objective="attngen", mask_fraction=0.1,
                                                          importance=source, **settings))
            results[source] = {"seconds_per_epoch": seconds, "ratio": seconds / plain}
            print(f"attngen ({source}): {seconds:.2f} s/epoch, {seconds / plain:.2f}x plain", flush=True)
    summary = {"model": args.model, "n": args.n, "epochs": args.epochs, "plain_seconds_per_epoch": plain,
               "attngen": results, "target": TARGET, "target_source": "embedding"}
    if "embedding" in results:
        print(f"embedding ratio {results['embedding']['ratio']:.2f} (target <= {TARGET})")
    record("attngen", summary, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
