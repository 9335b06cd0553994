"""Soak: the store writer alone, fed synthetic proxy exchanges at a steady rate, its memory sampled.

    .venv/bin/python bench/soak_writer.py [--minutes 10] [--rate 1500] [--store duckdb|segments]
        [--malloc-trim] [--tracemalloc] [--memory-limit 128MB]
        [--setting checkpoint_threshold=4MB ...] [--checkpoint-every 10]

The exchanges look like bench/proxy.py's (80 % GET /items/N, 20 % POST /items, two JSON
answers each), handed to a `StoreWriter` by the main thread at `--rate` per second, as
the proxy's loop does; the writer's thread flushes every second. Every `--every` seconds
one row: the process's RSS, what glibc's malloc holds (in use, and free but kept), what
DuckDB says it uses (`duckdb_memory()`, by tag) and the file's size, pyarrow's pool,
Python's objects (and, with --tracemalloc, its allocations and their top lines).
`--malloc-trim` calls malloc_trim(0) after each flush (an A/B of giving freed memory back);
`--setting NAME=VALUE` sets a DuckDB setting on the writer's connection and
`--checkpoint-every N` runs CHECKPOINT after every N flushes (A/Bs of checkpointing sooner).
At the end: the process's CPU per 1,000 exchanges (the feeding thread's included, alike in
every run) and each flush's time (median, 99th percentile, worst).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from twinsight.records import Body, Exchange, Response
from twinsight.store import DuckDBSink, Redactor, SegmentSink, StoreWriter, new_id
from twinsight.store.sinks import Sink, Written

MIB = 1 << 20
JSON = (("Content-Type", "application/json"),)
LIBC = ctypes.CDLL("libc.so.6")


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def exchange(i: int) -> Exchange:
    """The i-th exchange of bench/mix.lua's mix, answered alike by both targets."""
    post = i % 5 == 0
    item = orjson.dumps({"id": i % 1000, "title": "Buy groceries", "done": False})
    responses = tuple(
        Response(target, 201 if post else 200, JSON, Body.of(item, 1 << 20), 0.4)
        for target in ("legacy", "candidate")
    )
    body = b'{"title": "Buy groceries", "description": "milk, eggs"}' if post else b""
    return Exchange(
        id=new_id(),
        source="proxy",
        method="POST" if post else "GET",
        path="/items" if post else f"/items/{i % 1000}",
        host="127.0.0.1:8080",
        headers=(("Host", "127.0.0.1:8080"), *(JSON if post else ())),
        body=Body.of(body, 1 << 20),
        responses=responses,
        session=f"127.0.0.1:{40000 + i % 50}",
    )


class Trimmed:
    """A sink that gives glibc's free memory back to the system after each write."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def write(self, tables: dict[str, pa.Table], counters: Any = None) -> Written:
        written = self.sink.write(tables, counters)
        LIBC.malloc_trim(0)
        return written

    def reopen(self) -> None:
        self.sink.reopen()

    def close(self) -> None:
        self.sink.close()


class Timed:
    """A sink that times each write and, with `every`, runs CHECKPOINT after every N writes."""

    def __init__(self, sink: Sink, every: int) -> None:
        self.sink, self.every = sink, every
        self.seconds: list[float] = []

    def write(self, tables: dict[str, pa.Table], counters: Any = None) -> Written:
        began = time.perf_counter()
        written = self.sink.write(tables, counters)
        if self.every and (len(self.seconds) + 1) % self.every == 0:
            connection = getattr(getattr(self.sink, "sink", self.sink), "_connection", None)
            if connection is not None:
                connection.execute("CHECKPOINT")
        self.seconds.append(time.perf_counter() - began)
        return written

    def reopen(self) -> None:
        self.sink.reopen()

    def close(self) -> None:
        self.sink.close()

    def summary(self) -> str:
        if not self.seconds:
            return "no flushes"
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{len(ordered):,} flushes, ms median {statistics.median(ordered) * 1000:.1f}, "
            f"p99 {p99 * 1000:.1f}, max {ordered[-1] * 1000:.1f}"
        )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def malloc_mib() -> tuple[float, float]:
    """(bytes in use, bytes free but kept) in glibc's heaps and mmapped chunks, in MiB."""
    LIBC.mallinfo2.restype = MallInfo2
    info = LIBC.mallinfo2()
    return (info.uordblks + info.hblkhd) / MIB, info.fordblks / MIB


def duckdb_figures(sink: Sink) -> str:
    """DuckDB's memory by tag and the file's size, from a cursor beside the writer's."""
    while hasattr(sink, "sink"):
        sink = sink.sink
    connection = getattr(sink, "_connection", None)
    if connection is None:
        return "-"
    cursor = connection.cursor()
    try:
        tags = cursor.execute(
            "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
        ).fetchall()
        size = cursor.execute("PRAGMA database_size").fetchall()[0]
    finally:
        cursor.close()
    used = sum(int(b) for _, b in tags)
    top = ", ".join(f"{t} {int(b) / MIB:.0f}" for t, b in sorted(tags, key=lambda r: -r[1])[:3])
    return f"{used / MIB:.0f} ({top}); file {size[1]}, wal {size[6]}"


def python_figures(traced: bool) -> str:
    objects = len(gc.get_objects())
    if not traced:
        return f"{objects:,} objects"
    current, _ = tracemalloc.get_traced_memory()
    top = tracemalloc.take_snapshot().statistics("lineno")[:3]
    lines = "; ".join(
        f"{s.traceback[0].filename.rsplit('/', 1)[-1]}:{s.traceback[0].lineno} {s.size / MIB:.1f}"
        for s in top
    )
    return f"{objects:,} objects, traced {current / MIB:.1f} MiB ({lines})"


def sample(minute: float, writer: StoreWriter, submitted: int, traced: bool) -> None:
    in_use, kept = malloc_mib()
    stored = writer.counters.snapshot().get("stored", 0)
    print(
        f"| {minute:.1f} | {submitted:,} | {stored:,} | {rss_mib():.0f} | {in_use:.0f} | "
        f"{kept:.0f} | {duckdb_figures(writer.sink)} | {pa.total_allocated_bytes() / MIB:.0f} | "
        f"{python_figures(traced)} |",
        flush=True,
    )


def soak(args: argparse.Namespace, folder: Path) -> None:
    sink: Sink
    if args.store == "segments":
        sink = SegmentSink(folder / "segments", "soak")
    else:
        sink = DuckDBSink(folder / "soak.duckdb")
        if args.memory_limit:
            sink._connection.execute(f"SET memory_limit = '{args.memory_limit}'")
        for setting in args.setting:
            name, _, value = setting.partition("=")
            sink._connection.execute(f"SET {name} = '{value}'")
    if args.malloc_trim:
        sink = Trimmed(sink)
    timed = Timed(sink, args.checkpoint_every)
    sink = timed
    writer = StoreWriter(sink, redactor=Redactor()).start()
    print(
        "| minute | submitted | stored | RSS MiB | malloc in use | malloc free kept | "
        "DuckDB MiB (top tags); file | Arrow MiB | Python |\n"
        "|---:|---:|---:|---:|---:|---:|---|---:|---|"
    )
    tick, per_tick = 0.1, max(1, round(args.rate / 10))
    started = time.monotonic()
    submitted, next_sample = 0, 0.0
    while (elapsed := time.monotonic() - started) < args.minutes * 60:
        if elapsed >= next_sample:
            sample(elapsed / 60, writer, submitted, args.tracemalloc)
            next_sample += args.every
        for _ in range(per_tick):
            writer.submit(exchange(submitted))
            submitted += 1
        # Paced: the next tick's exchanges are due (tick * ticks so far) after the start.
        time.sleep(max(0.0, started + submitted / per_tick * tick - time.monotonic()))
    writer.flush()
    sample((time.monotonic() - started) / 60, writer, submitted, args.tracemalloc)
    writer.close()
    dropped = {k: v for k, v in writer.counters.snapshot().items() if k.startswith("dropped")}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"\nsubmitted {submitted:,}, dropped {dropped or 'none'}")
    print(
        f"CPU {cpu:.1f} s, {cpu / max(1, submitted) * 1e6:.0f} µs per exchange; {timed.summary()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1500.0, help="exchanges per second")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--store", choices=("duckdb", "segments"), default="duckdb")
    parser.add_argument("--malloc-trim", action="store_true", help="malloc_trim(0) per flush")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python's allocations")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit instead")
    parser.add_argument(
        "--setting", action="append", default=[], help="NAME=VALUE, set on the writer's connection"
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=0, help="CHECKPOINT after every N flushes"
    )
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    folder = Path(tempfile.mkdtemp(prefix="twinsight-soak-"))
    print(
        f"store writer soak: {args.store}, {args.rate:g}/s, {args.minutes:g} min, "
        f"malloc_trim {'on' if args.malloc_trim else 'off'}, "
        f"settings {args.setting or 'default'}, checkpoint every {args.checkpoint_every or '-'}, "
        f"arrow pool {pa.default_memory_pool().backend_name}\n"
    )
    try:
        soak(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
