"""Benchmark: `twinsight analyze` end to end on synthetic exchanges, and deepdiff as the baseline.

    .venv/bin/pip install -e '.[bench]'   # deepdiff, the baseline a user would write; psutil
    .venv/bin/python bench/analyze.py [--exchanges 1000000] [--sample 10000]
        [--shape agreeing|differing] [--replica] [--workers 1,2] [--dask local:2]

Exchanges have the example service's shapes (a task, a task list, an error),
answered by a legacy and a candidate whose ids and times are shaped alike
(noise by the example's rules); ~5 % of them differ for real (`--shape
agreeing`) or every one does (`--shape differing`); with `--replica` a second
legacy answers every request too, stamping its times a second later. Reported: the time to write
the store (not part of analysis), for each `--workers` count on its own copy of
the store (same run, so the ratios compare like with like) the `analyze_store`
time, exchanges/s and peak RSS of the analysing process, of its largest
worker and of all of them together (sampled every 0.1 s), and on a sample the
pairs/s of twinsight's diff against deepdiff's DeepDiff on the same parsed bodies.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.service import analyze_store
from twinsight.config import load_config
from twinsight.examples.tasks import files
from twinsight.records import Body, Exchange, Response
from twinsight.spec import load_spec
from twinsight.store import DuckDBSink, Redactor, StoreWriter, new_id

JSON = (("Content-Type", "application/json; charset=utf-8"),)


def task(rng: random.Random, ident: Any, second: int) -> dict[str, Any]:
    return {
        "id": ident,
        "title": f"Task {rng.randrange(1000)}",
        "description": None,
        "status": rng.choice(["pending", "in_progress", "completed"]),
        "due_date": None,
        "created_at": f"2026-11-25T10:{second // 60 % 60:02}:{second % 60:02}Z",
        "completed_at": None,
    }


def pair(
    rng: random.Random, i: int, differing: float = 0.05
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    legacy = task(rng, i, i)
    candidate = dict(
        legacy,
        id=f"{i:08x}-1d2e-4f00-8a1b-2c3d4e5f6a7b",
        created_at=task(rng, 0, i + 1)["created_at"],
    )
    if rng.random() < differing:
        candidate["status"] = "done" if legacy["status"] != "done" else "pending"
    return "GET", f"/tasks/{i}", legacy, candidate


def build_store(
    path: Path,
    count: int,
    rng: random.Random,
    differing: float,
    replica: bool = False,
    start: int = 0,
) -> float:
    """Write `count` exchanges (tasks `start`, `start` + 1, ...) into the store file `path`."""
    started = time.perf_counter()
    # Flushed by hand every 50,000: the thread is for live capture, not bulk loads.
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor(), max_backlog=count + 1)
    for i in range(start, start + count):
        if i > start and (i - start) % 50_000 == 0:
            writer.flush()
        method, url, legacy, candidate = pair(rng, i, differing)
        answers = [
            Response("legacy", 200, JSON, Body.of(orjson.dumps(legacy), 1 << 20), 2.0),
            Response("candidate", 200, JSON, Body.of(orjson.dumps(candidate), 1 << 20), 2.5),
        ]
        if replica:
            # A second legacy: the same task, stamped a second later.
            later = f"2026-11-25T10:{(i + 1) // 60 % 60:02}:{(i + 1) % 60:02}Z"
            again = orjson.dumps(dict(legacy, created_at=later))
            answers.append(Response("replica", 200, JSON, Body.of(again, 1 << 20), 2.1))
        writer.submit(
            Exchange(
                id=new_id(),
                source="import",
                method=method,
                path=url,
                headers=(("Authorization", "Bearer x"),),
                responses=tuple(answers),
            )
        )
    writer.flush()
    writer.sink.close()
    return time.perf_counter() - started


def per_pair(sample: int, rng: random.Random) -> tuple[float, float | None]:
    pairs = [pair(rng, i) for i in range(sample)]
    bodies = [(orjson.dumps(a), orjson.dumps(b)) for _, _, a, b in pairs]
    started = time.perf_counter()
    for a, b in bodies:
        diff_responses(Message(200, JSON, a), Message(200, JSON, b))
    ours = sample / (time.perf_counter() - started)
    try:
        from deepdiff import DeepDiff
    except ImportError:
        return ours, None
    started = time.perf_counter()
    for a, b in bodies:
        DeepDiff(orjson.loads(a), orjson.loads(b))
    return ours, sample / (time.perf_counter() - started)


Run = tuple[float, float, float, float, dict[str, int]]
"""(seconds, peak RSS MB of the analysing process, of its largest worker, of all together,
the counts)."""


@contextmanager
def peak_together() -> Iterator[list[float]]:
    """The highest RSS (MB) this process and its children held together, sampled every
    0.1 s while inside (the one value of the list yielded, once out)."""
    import psutil  # the bench extra's: imported here, so the module imports without it

    peak, done, me = [0.0], threading.Event(), psutil.Process()

    def sample() -> None:
        while not done.wait(0.1):
            try:
                rss = me.memory_info().rss + sum(
                    c.memory_info().rss for c in me.children(recursive=True)
                )
            except psutil.Error:
                continue  # a worker ended between the listing and the reading
            peak[0] = max(peak[0], rss / (1 << 20))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def analyse(store: Path, workers: int) -> Run:
    """`Run` of one analysis, run in a process of its own, so each peak is its alone."""
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    with peak_together() as together:
        started = time.perf_counter()
        analysis = analyze_store(store, None, config=config, spec=spec, workers=workers)
        elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    largest = children if workers > 1 else 0.0
    return elapsed, own, largest, together[0], dict(analysis.counts)


def on_dask(address: str, store: Path) -> Run:
    """`analyse` on the Dask cluster at `address`: the cluster started before the clock
    (a local one), the largest worker's peak RSS asked of each worker."""
    from twinsight.analysis.cluster import DaskAddress, DaskPool, dask_client

    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    with dask_client(DaskAddress.of(address)) as client:
        started = time.perf_counter()
        analysis = analyze_store(store, None, config=config, spec=spec, pool=DaskPool(client))
        elapsed = time.perf_counter() - started
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Not sampled together: the workers of a cluster may be on other machines.
    return elapsed, own, max(peaks.values()), 0.0, dict(analysis.counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="agreeing")
    parser.add_argument(
        "--replica", action="store_true", help="a replica of the legacy answers every request too"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    parser.add_argument("--dask", help="also analyse on this Dask cluster, e.g. local:2")
    args = parser.parse_args()
    rng = random.Random(1)
    folder = Path(tempfile.mkdtemp(prefix="twinsight-analyze-bench-"))
    try:
        run(args, rng, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


SHAPES = {"agreeing": 0.05, "differing": 1.0}
"""--shape -> the share of exchanges whose candidate differs for real."""


def run(args: argparse.Namespace, rng: random.Random, folder: Path) -> None:
    """Write the store in `folder`, analyse a copy per worker count, print the tables."""
    store = folder / "bench.duckdb"
    print(f"writing {args.exchanges:,} exchanges ({args.shape}) ...", file=sys.stderr)
    spawn = multiprocessing.get_context("spawn")
    # Each in a child process, so every peak RSS below is one analysis's own.
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        shape = SHAPES[args.shape]
        written = pool.submit(build_store, store, args.exchanges, rng, shape, args.replica).result()
    rows = []
    for workers in (int(n) for n in args.workers.split(",")):
        copy = folder / f"workers-{workers}.duckdb"
        shutil.copy(store, copy)
        print(f"analysing with {workers} worker(s) ...", file=sys.stderr)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            rows.append((workers, *pool.submit(analyse, copy, workers).result()))
        copy.unlink()
    if args.dask:
        copy = folder / "dask.duckdb"
        shutil.copy(store, copy)
        print(f"analysing on dask {args.dask} ...", file=sys.stderr)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            rows.append((f"dask {args.dask}", *pool.submit(on_dask, args.dask, copy).result()))
        copy.unlink()
    ours, theirs = per_pair(args.sample, rng)
    replica = ", a replica answering too" if args.replica else ""
    print(f"shape {args.shape}{replica}; store written in {written:.1f} s\n")
    print(
        "| exchanges | workers | analyze s | exchanges/s | x 1 process | peak RSS MB"
        " | largest worker MB | together MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    first = rows[0][1]
    for workers, elapsed, own, child, together, _ in rows:
        summed = f"{together:,.0f}" if together else "-"
        print(
            f"| {args.exchanges:,} | {workers} | {elapsed:.1f} | {args.exchanges / elapsed:,.0f} | "
            f"{first / elapsed:.2f} | {own:,.0f} | {child:,.0f} | {summed} |"
        )
    print(f"\nclassifications: {rows[0][5]}\n")
    print("| diff of one pair | pairs/s | x deepdiff |\n|---|---:|---:|")
    print(
        f"| twinsight diff_responses | {ours:,.0f} | {ours / theirs:.0f} |"
        if theirs
        else f"| twinsight | {ours:,.0f} | - |"
    )
    if theirs:
        print(f"| deepdiff DeepDiff | {theirs:,.0f} | 1 |")


if __name__ == "__main__":
    main()
