"""Benchmark: what writing the derived tables as Parquet costs an analysis of a segment folder.

    .venv/bin/python bench/exported.py [--exchanges 100000] [--new 10000] [--shape differing]

A segment folder of `--exchanges` exchanges (bench/analyze.py's shapes; `differing` by
default: every exchange has differences, the largest tables) is analysed in one process
with two workers, then `--new` more are written and it is analysed again (only they are
judged). For each run: the analysis's wall seconds, the seconds spent writing the Parquet
files in `derived/` (staged in the write's transaction, then shown), their share of the
run, and the size of `derived/`. The first run writes every row; the second writes the rows
it added and the tables it replaces (clusters, totals), so it should cost about its share
of new traffic.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Body, Exchange, Response
from twinsight.store import Redactor, SegmentSink, StoreWriter, new_id
from twinsight.store.exported import EXPORT_FOLDER, Export

sys.path.insert(0, str(Path(__file__).parent))

from analyze import JSON, SHAPES, pair

SPENT = {"stage": 0.0, "settle": 0.0}


def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - started

    return measured


def build(folder: Path, count: int, start: int, rng: random.Random, differing: float) -> None:
    """`count` exchanges (tasks `start`, ...) as one writer's segments in `folder`."""
    sink = SegmentSink(folder, f"bench-{start}")
    writer = StoreWriter(sink, redactor=Redactor(), max_backlog=count + 1)
    for i in range(start, start + count):
        if i > start and (i - start) % 50_000 == 0:
            writer.flush()
        method, url, legacy, candidate = pair(rng, i, differing)
        answers = (
            Response("legacy", 200, JSON, Body.of(orjson.dumps(legacy), 1 << 20), 2.0),
            Response("candidate", 200, JSON, Body.of(orjson.dumps(candidate), 1 << 20), 2.5),
        )
        writer.submit(
            Exchange(id=new_id(), source="import", method=method, path=url, responses=answers)
        )
    writer.flush()
    sink.close()


def measured_run(folder: Path) -> tuple[float, float]:
    """(analysis s, export s) of one analysis of `folder`."""
    SPENT.update(stage=0.0, settle=0.0)
    started = time.perf_counter()
    analyze_store(None, folder, config=Config(), spec=None, workers=2)
    return time.perf_counter() - started, SPENT["stage"] + SPENT["settle"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="differing")
    args = parser.parse_args()
    Export.stage = timed("stage", Export.stage)  # type: ignore[method-assign]
    Export.settle = timed("settle", Export.settle)  # type: ignore[method-assign]
    rng, differing = random.Random(1), SHAPES[args.shape]
    folder = Path(tempfile.mkdtemp(prefix="twinsight-exported-bench-"))
    try:
        print(f"writing {args.exchanges:,} exchanges ({args.shape}) ...", file=sys.stderr)
        build(folder, args.exchanges, 0, rng, differing)
        rows = [("first run", args.exchanges, *measured_run(folder), _size(folder))]
        build(folder, args.new, args.exchanges, rng, differing)
        rows.append(("new traffic", args.new, *measured_run(folder), _size(folder)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("| run | exchanges judged | analysis s | Parquet export s | share | derived/ MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, judged, whole, export, size in rows:
        print(
            f"| {name} | {judged:,} | {whole:.1f} | {export:.2f} | {export / whole:.1%} | "
            f"{size:.1f} |"
        )


def _size(folder: Path) -> float:
    return sum(f.stat().st_size for f in (folder / EXPORT_FOLDER).rglob("*.parquet")) / 1e6


if __name__ == "__main__":
    main()
