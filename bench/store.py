"""Benchmark: the store writer (keys, lookups, redaction) against a plain Arrow insert.

    .venv/bin/python bench/store.py [--exchanges 100000] [--repeat 3] [--large 600]

Every configuration writes the same exchanges (a JSON request and two JSON answers
of ~300 bytes each). Reported, median of `--repeat` runs in one process:

- rows built and redacted: what the writer does before storing (decoding, redaction,
  Arrow tables), nothing stored;
- plain insert: the rows the writer would build (built beforehand, not timed)
  inserted into unkeyed tables in batches of 5,000 - the baseline, what DuckDB
  costs without keys;
- writer -> DuckDB file: `StoreWriter` on a `DuckDBSink`: rows built, decoded and
  redacted, duplicates looked up by key, keyed tables;
- writer -> segments: the same writer on a `SegmentSink` (Parquet);
- large answers: `--large` exchanges with two 1 MiB answers each, to a DuckDB file
  (bodies kept beside it), and the process's peak RSS growth while writing them.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import orjson

from twinsight.records import Body, Exchange, Response
from twinsight.store import DuckDBSink, Redactor, SegmentSink, StoreWriter, new_id
from twinsight.store.rows import Batch
from twinsight.store.schema import TABLES

JSON = (("Content-Type", "application/json"),)


def exchange(i: int, answer_size: int = 300) -> Exchange:
    body = orjson.dumps({"id": i, "title": "t" * answer_size, "status": "pending"})
    responses = tuple(
        Response(target, 200, JSON, Body.of(body, 1 << 20), 1.0)
        for target in ("legacy", "candidate")
    )
    return Exchange(
        id=new_id(),
        source="proxy",
        method="POST",
        path=f"/tasks/{i}",
        headers=(*JSON, ("Authorization", "Bearer abc")),
        body=Body.of(b'{"title": "Buy milk"}', 1 << 20),
        responses=responses,
    )


def rows_only(items: list[Exchange]) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), 5000):
        rows = Batch(Redactor(), "bench", 1 << 20)
        for item in items[start : start + 5000]:
            rows.add(item)
        rows.tables()
    return time.perf_counter() - started


def plain_insert(folder: Path, items: list[Exchange]) -> float:
    batches = []
    for start in range(0, len(items), 5000):
        rows = Batch(Redactor(), "bench", 1 << 20)
        for item in items[start : start + 5000]:
            rows.add(item)
        batches.append(rows.tables())
    connection = duckdb.connect(str(folder / "plain.duckdb"))
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} {c.sql}" for c in table.columns)
        connection.execute(f"CREATE TABLE {table.name} ({columns})")
    started = time.perf_counter()
    for tables in batches:
        connection.execute("BEGIN")
        for name, table in tables.items():
            connection.register("batch", table)
            connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM batch")
            connection.unregister("batch")
        connection.execute("COMMIT")
    connection.execute("CHECKPOINT")
    connection.close()
    return time.perf_counter() - started


def through_writer(
    sink: DuckDBSink | SegmentSink, items: list[Exchange], every: int = 5000
) -> float:
    writer = StoreWriter(sink, redactor=Redactor(), max_backlog=len(items) + 1)
    started = time.perf_counter()
    for start in range(0, len(items), every):
        for item in items[start : start + every]:
            writer.submit(item)
        writer.flush()
    writer.close()
    if writer.failure is not None or writer.counters["stored"] != len(items):
        raise SystemExit(f"writer failed: {writer.failure}, {writer.counters.snapshot()}")
    return time.perf_counter() - started


def median_rate(run: Callable[[Path], float], count: int, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        folder = Path(tempfile.mkdtemp(prefix="twinsight-bench-store-"))
        try:
            rates.append(count / run(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(rates)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", type=int, default=600)
    args = parser.parse_args()
    items = [exchange(i) for i in range(args.exchanges)]
    n, repeat = len(items), args.repeat
    baseline = median_rate(lambda f: plain_insert(f, items), n, repeat)
    rows = [
        ("plain insert, unkeyed (baseline)", baseline),
        ("rows built and redacted, not stored", median_rate(lambda f: rows_only(items), n, repeat)),
        (
            "writer -> DuckDB file, keyed",
            median_rate(lambda f: through_writer(DuckDBSink(f / "s.duckdb"), items), n, repeat),
        ),
        (
            "writer -> Parquet segments",
            median_rate(lambda f: through_writer(SegmentSink(f / "seg", "w"), items), n, repeat),
        ),
    ]
    print(f"{n:,} exchanges, median of {repeat}")
    print(f"| {'configuration':<36} | {'exchanges/s':>11} | {'x baseline':>10} |")
    print(f"|{'-' * 38}|{'-' * 13}:|{'-' * 11}:|")
    for label, rate in rows:
        print(f"| {label:<36} | {rate:>11,.0f} | {rate / baseline:>9.2f}x |")
    large = [exchange(i, answer_size=1 << 20) for i in range(args.large)]
    before = peak_rss_mib()
    rate = median_rate(
        lambda f: through_writer(DuckDBSink(f / "s.duckdb"), large, every=100), len(large), 1
    )
    print(
        f"\n{len(large)} exchanges with two 1 MiB answers to a DuckDB file: {rate:,.0f} "
        f"exchanges/s, peak RSS grew {peak_rss_mib() - before:,.0f} MiB "
        f"(the answers themselves: {len(large) * 2:,} MiB)"
    )


if __name__ == "__main__":
    main()
