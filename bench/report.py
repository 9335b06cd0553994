"""Benchmark: `twinsight report` on the bundled example and on a large synthetic store.

    .venv/bin/python bench/report.py [--exchanges 100000] [--rounds 3]

The example is captured through `twinsight proxy` as `twinsight demo` does. The
synthetic store holds `--exchanges` exchanges over six endpoints, answered by a
legacy and a candidate with random latencies; ~2 % differ for real (a status, a
field), so there are clusters, examples and a NOT READY verdict to render.
Reported per store: the first `twinsight report` (it analyses every exchange
first), then the median of `--rounds` more (nothing new to analyse: the verdict,
the store reads and the rendering), `twinsight ready --dry-run` alone (median),
and the size of each file written.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from twinsight.examples.tasks import files
from twinsight.records import Body, Exchange, Response
from twinsight.store import DuckDBSink, Redactor, StoreWriter, new_id

JSON = (("Content-Type", "application/json; charset=utf-8"),)
PATHS = ("/tasks/{}", "/tasks", "/users/{}", "/users/{}/tasks", "/health", "/search")


def synthetic(i: int, rng: random.Random) -> Exchange:
    """One GET answered by both targets; about 2 % differ for real."""
    path = PATHS[i % len(PATHS)].format(rng.randrange(1, 10_000))
    legacy = {"id": i, "name": f"item {i % 97}", "tags": ["a", "b"], "count": i % 13}
    candidate, status = dict(legacy), 200
    roll = rng.random()
    if roll < 0.01:
        candidate["count"] = str(legacy["count"])  # a type change
    elif roll < 0.02:
        status = 404
    answers = (
        Response("legacy", 200, JSON, Body.of(orjson.dumps(legacy), 1 << 20),
                 rng.lognormvariate(1.0, 0.4)),
        Response("candidate", status, JSON, Body.of(orjson.dumps(candidate), 1 << 20),
                 rng.lognormvariate(1.1, 0.4)),
    )  # fmt: skip
    return Exchange(id=new_id(), source="import", method="GET", path=path, responses=answers)


def build_store(path: Path, count: int) -> float:
    """Write `count` synthetic exchanges to a DuckDB file; seconds taken."""
    rng = random.Random(1)
    started = time.perf_counter()
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor(), max_backlog=count + 1)
    for i in range(count):
        if i and i % 50_000 == 0:
            writer.flush()  # by hand: the writer's thread is for live capture, not bulk loads
        writer.submit(synthetic(i, rng))
    writer.flush()
    writer.sink.close()
    return time.perf_counter() - started


def example_store(path: Path) -> None:
    """The bundled example's scripted session, captured through `twinsight proxy`."""
    from twinsight.demo import capture_example_session

    asyncio.run(capture_example_session(path))


def run(command: str, store: Path, *flags: str) -> float:
    """Seconds one `twinsight COMMAND --store STORE FLAGS...` takes, as a process."""
    argv = [sys.executable, "-m", "twinsight", command, "--store", str(store), *flags]
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def measure(name: str, store: Path, rounds: int, flags: list[str]) -> str:
    """A table row: first report, median of the next rounds, `ready` alone, sizes."""
    out = store.parent / "report"
    report = ["--out", str(out), *flags]
    first = run("report", store, *report)
    again = statistics.median(run("report", store, *report) for _ in range(rounds))
    ready = statistics.median(run("ready", store, "--dry-run", *flags) for _ in range(rounds))
    sizes = [out.with_name(out.name + s).stat().st_size / 1024 for s in (".html", ".md", ".json")]
    return (
        f"| {name} | {first:.1f} | {again:.1f} | {ready:.1f} | "
        + " | ".join(f"{size:,.0f}" for size in sizes)
        + " |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="twinsight-report-bench-"))
    try:
        (folder / "example").mkdir()
        example = folder / "example" / "run.duckdb"
        example_store(example)
        spec = ["--spec", str(files() / "spec.yaml"), "--config", str(files() / "twinsight.toml")]
        rows = [measure("bundled example (27)", example, args.rounds, spec)]
        (folder / "large").mkdir()
        large = folder / "large" / "run.duckdb"
        print(f"writing {args.exchanges:,} exchanges ...", file=sys.stderr)
        written = build_store(large, args.exchanges)
        print(f"written in {written:.1f} s; reporting ...", file=sys.stderr)
        rows.append(measure(f"synthetic ({args.exchanges:,})", large, args.rounds, []))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"| store | first report s (analysis included) | report s (median of {args.rounds}) "
        "| ready s (median) | HTML KiB | Markdown KiB | JSON KiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
