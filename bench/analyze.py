"""Benchmark: `twinsight analyze` end to end on synthetic exchanges, and deepdiff as the baseline.

    .venv/bin/pip install -e '.[bench]'   # deepdiff: the baseline a user would write
    .venv/bin/python bench/analyze.py [--exchanges 1000000] [--sample 10000]

Exchanges have the example service's shapes (a task, a task list, an error),
answered by a legacy and a candidate whose ids and times are shaped alike
(noise by the example's rules) and ~5 % of which differ for real. Reported:
the time to write the store (not part of analysis), `analyze_store` time and
exchanges/s, peak RSS, and on a sample the pairs/s of twinsight's diff against
deepdiff's DeepDiff on the same parsed bodies.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
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


def pair(rng: random.Random, i: int) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    legacy = task(rng, i, i)
    candidate = dict(
        legacy,
        id=f"{i:08x}-1d2e-4f00-8a1b-2c3d4e5f6a7b",
        created_at=task(rng, 0, i + 1)["created_at"],
    )
    if rng.random() < 0.05:
        candidate["status"] = "done" if legacy["status"] != "done" else "pending"
    return "GET", f"/tasks/{i}", legacy, candidate


def build_store(path: Path, count: int, rng: random.Random) -> float:
    started = time.perf_counter()
    # Flushed by hand every 50,000: the thread is for live capture, not bulk loads.
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor(), max_backlog=count + 1)
    for i in range(count):
        if i and i % 50_000 == 0:
            writer.flush()
        method, url, legacy, candidate = pair(rng, i)
        writer.submit(
            Exchange(
                id=new_id(),
                source="import",
                method=method,
                path=url,
                headers=(("Authorization", "Bearer x"),),
                responses=(
                    Response("legacy", 200, JSON, Body.of(orjson.dumps(legacy), 1 << 20), 2.0),
                    Response(
                        "candidate", 200, JSON, Body.of(orjson.dumps(candidate), 1 << 20), 2.5
                    ),
                ),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    folder = Path(tempfile.mkdtemp(prefix="twinsight-analyze-bench-"))
    try:
        run(args, rng, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, rng: random.Random, folder: Path) -> None:
    """Write the store in `folder`, analyse it, print the tables."""
    store = folder / "bench.duckdb"
    print(f"writing {args.exchanges:,} exchanges ...", file=sys.stderr)
    # In a child process, so the peak RSS below is the analysis's own.
    with ProcessPoolExecutor(1) as pool:
        written = pool.submit(build_store, store, args.exchanges, rng).result()
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    print("analysing ...", file=sys.stderr)
    started = time.perf_counter()
    analysis = analyze_store(store, None, config=config, spec=spec)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ours, theirs = per_pair(args.sample, rng)
    print("| exchanges | write store s | analyze s | exchanges/s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {args.exchanges:,} | {written:.1f} | {elapsed:.1f} | "
        f"{args.exchanges / elapsed:,.0f} | {peak:,.0f} |"
    )
    print(f"\nclassifications: {dict(analysis.counts)}\n")
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
