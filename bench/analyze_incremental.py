"""Benchmark: an incremental `twinsight analyze` of new traffic on a large analysed store.

    .venv/bin/python bench/analyze_incremental.py [--exchanges 200000] [--new 10000]
        [--rounds 3] [--replica]

A store of `--exchanges` exchanges (bench/analyze.py's agreeing shape) is analysed once;
`--new` more are written into it. Each round then analyses a fresh copy of that store two
ways, in turn, each in a process of its own:

- kept: as `twinsight analyze` runs now, from the evidence the first run kept, reading
  only the new exchanges for the legacy's evidence (and the replica's counts);
- read again: the same run with the kept evidence dropped (`evidence_runs`), so it reads
  every exchange's legacy answer again, as every incremental run did before evidence was
  kept (it also writes the kept tables at its end, which runs before did not).

Both judge only the new exchanges. After the first way, the same store is analysed once
more, with nothing new: what `twinsight report`, `ready` and `propose` do before their
own work on an analysed store. Reported: medians of the rounds (wall seconds, CPU seconds
of the analysing process), the ratio of the first two, and whether every run ended with
the same counts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

from twinsight.analysis.service import analyze_store
from twinsight.config import load_config
from twinsight.examples.tasks import files
from twinsight.spec import load_spec

sys.path.insert(0, str(Path(__file__).parent))

from analyze import SHAPES, build_store

SPAWN = multiprocessing.get_context("spawn")


def analyse(store: Path) -> tuple[float, float, dict[str, int]]:
    """(wall s, CPU s, counts) of one analysis, run in a process of its own."""
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    # One process: its CPU time (RUSAGE_SELF) is then the whole run's.
    analysis = analyze_store(store, None, config=config, spec=spec, workers=1)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    spent = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return elapsed, spent, dict(analysis.counts)


def in_child(store: Path) -> tuple[float, float, dict[str, int]]:
    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        return pool.submit(analyse, store).result()


def prepared(folder: Path, args: argparse.Namespace) -> Path:
    """The analysed store with the new exchanges written into it."""
    store = folder / "bench.duckdb"
    shape = SHAPES["agreeing"]
    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        pool.submit(
            build_store, store, args.exchanges, random.Random(1), shape, args.replica
        ).result()
    print(f"analysing {args.exchanges:,} exchanges once ...", file=sys.stderr)
    first = in_child(store)
    print(f"  {first[0]:.1f} s", file=sys.stderr)
    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        rng, start = random.Random(2), args.exchanges
        pool.submit(build_store, store, args.new, rng, shape, args.replica, start).result()
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replica", action="store_true", help="a replica answers too")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="twinsight-incremental-bench-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    store = prepared(folder, args)
    found: dict[str, list[tuple[float, float, dict[str, int]]]] = {
        "kept": [],
        "again": [],
        "nothing new": [],
    }
    for round_ in range(args.rounds):
        ways = ["kept", "again"] if round_ % 2 == 0 else ["again", "kept"]
        for way in ways:
            copy = folder / f"{way}.duckdb"
            shutil.copy(store, copy)
            if way == "again":
                with duckdb.connect(str(copy)) as connection:
                    connection.execute("DROP TABLE evidence_runs")
            print(f"round {round_ + 1}: {way} ...", file=sys.stderr)
            found[way].append(in_child(copy))
            if way == "kept":
                found["nothing new"].append(in_child(copy))
            copy.unlink()
    kept, again, idle = (
        [statistics.median(r[i] for r in found[way]) for i in (0, 1)]
        for way in ("kept", "again", "nothing new")
    )
    same = all(r[2] == found["kept"][0][2] for way in found for r in found[way])
    replica = ", a replica answering too" if args.replica else ""
    print(
        f"\n{args.new:,} new exchanges on {args.exchanges:,} analysed{replica}; "
        f"median of {args.rounds} round(s); the same counts every run: {same}\n"
    )
    print("| the run | wall s | CPU s | wall: x as fast as reading again |")
    print("|---|---:|---:|---:|")
    print(f"| from kept evidence | {kept[0]:.1f} | {kept[1]:.1f} | {again[0] / kept[0]:.1f} |")
    print(f"| every exchange read again | {again[0]:.1f} | {again[1]:.1f} | 1.0 |")
    print(f"| then again, nothing new | {idle[0]:.1f} | {idle[1]:.1f} | - |")


if __name__ == "__main__":
    main()
