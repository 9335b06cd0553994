"""Benchmark: how fast `twinsight replay` sends, against wrk driving the same servers, same run.

    .venv/bin/python bench/replay.py [--requests 20000] [--rounds 3] [--concurrency 16]

Two local aiohttp services (bench/upstream.py) play legacy and candidate. A
GoReplay file of `--requests` recorded requests (80 % GET, 20 % POST, the mix
of bench/mix.lua, no sessions) is replayed with `twinsight replay
--as-fast-as-possible`, capture to a DuckDB file on; wrk drives the legacy
alone with as many connections as the replay's concurrency. Rounds are
interleaved; medians are reported. twinsight is pinned to CPU 1 and wrk to
CPU 0; the services share both. The replay's rate counts replayed requests
(each goes to both targets, so the services answer twice as many).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from proxy import PY, processes, upstream, wrk

SEPARATOR = "\n🐵🙈🙉\n".encode()
BODY = b'{"title": "Buy groceries", "description": "milk, eggs"}'


def recording(path: Path, count: int) -> None:
    """A GoReplay file of `count` requests one millisecond apart, each with its response."""
    payloads = []
    start = 1_763_632_800_000_000_000
    for i in range(1, count + 1):
        ts = start + i * 1_000_000
        if i % 5 == 0:
            request = (
                b"POST /items HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
            )
            response = b'HTTP/1.1 201 Created\r\n\r\n{"id": %d, "status": "pending"}' % i
        else:
            request = b"GET /items/%d HTTP/1.1\r\nHost: api\r\n\r\n" % (i % 1000)
            response = b'HTTP/1.1 200 OK\r\n\r\n{"id": "%d"}' % (i % 1000)
        payloads.append(b"1 r%d %d 0\n" % (i, ts) + request)
        payloads.append(b"2 r%d %d 100000\n" % (i, ts + 100_000) + response)
    path.write_bytes(SEPARATOR.join(payloads))


def on_cpu1(args: list[str], *, pin: bool = True) -> str:
    """The standard output of `python ARGS`, pinned to CPU 1 when asked (and possible)."""
    prefix = ["taskset", "-c", "1"] if pin and shutil.which("taskset") else []
    done = subprocess.run([*prefix, PY, *args], capture_output=True, text=True, check=True)
    return done.stdout


def replay_rate(
    capture: Path, legacy: str, candidate: str, folder: Path, concurrency: int, workers: int = 1
) -> tuple[float, float]:
    """(replayed requests per second as the run reports it, the whole command's wall time)."""
    store = folder / f"replay-{time.monotonic_ns()}.duckdb"
    started = time.monotonic()
    out = on_cpu1(
        [
            "-m",
            "twinsight",
            "replay",
            "--from",
            str(capture),
            "--store",
            str(store),
            "--legacy",
            legacy,
            "--candidate",
            candidate,
            "--as-fast-as-possible",
            "--concurrency",
            str(concurrency),
            "--workers",
            str(workers),
        ],
        pin=workers == 1,
    )
    wall = time.monotonic() - started
    found = re.search(r"sent (\d+) in ([\d.]+) s \((\d+)/s", out)
    if not found:
        raise SystemExit(f"unexpected replay output:\n{out}")
    return float(found.group(3)), wall


def bare_rate(urls: list[str], count: int, concurrency: int) -> float:
    """Requests per second of a plain aiohttp client sending to every URL (bench/bare_client.py)."""
    script = str(Path(__file__).parent / "bare_client.py")
    out = on_cpu1([script, "--requests", str(count), "--concurrency", str(concurrency), *urls])
    return float(out.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each wrk run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    c = args.concurrency
    with tempfile.TemporaryDirectory(prefix="twinsight-bench-") as scratch, processes() as started:
        folder = Path(scratch)
        capture = folder / "recorded.gor"
        recording(capture, args.requests)
        legacy, candidate = upstream(started), upstream(started)
        rates: dict[str, list[float]] = {}
        walls = []
        for round_ in range(1, args.rounds + 1):
            measured = {
                "wrk": wrk(int(legacy.rsplit(":", 1)[1]), c, args.duration, None).rps,
                "bare1": bare_rate([legacy], args.requests, c),
                "bare2": bare_rate([legacy, candidate], args.requests, c),
            }
            measured["replay"], wall = replay_rate(capture, legacy, candidate, folder, c)
            measured["replay2"], _ = replay_rate(capture, legacy, candidate, folder, c, 2)
            walls.append(wall)
            for name, rate in measured.items():
                rates.setdefault(name, []).append(rate)
            shown = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in measured.items())
            print(f"round {round_}: {shown}; replay command {wall:.1f} s")
        median = {name: statistics.median(values) for name, values in rates.items()}
    rows = [
        (f"wrk -c{c} straight to the legacy", median["wrk"]),
        (f"plain aiohttp client, {c} concurrent, to the legacy", median["bare1"]),
        (f"plain aiohttp client, {c} concurrent, to legacy + candidate", median["bare2"]),
        (
            f"twinsight replay --as-fast-as-possible --concurrency {c}, "
            "to legacy + candidate, capture on",
            median["replay"],
        ),
        (
            "same, --workers 2 (unpinned: the services share both cores with them)",
            median["replay2"],
        ),
    ]
    print()
    print("| what | median requests/s | vs wrk |")
    print("|---|---:|---:|")
    for what, rate in rows:
        print(f"| {what} | {rate:,.0f} | {rate / median['wrk']:.2f}x |")
    print(
        f"\nthe whole replay command, median: {statistics.median(walls):.1f} s "
        f"for {args.requests:,} requests (start-up and store included)"
    )


if __name__ == "__main__":
    main()
