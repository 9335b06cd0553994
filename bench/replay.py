"""Benchmark: `twinsight replay` against a plain two-target aiohttp client, same run.

    .venv/bin/python bench/replay.py [--requests 20000] [--rounds 3] [--concurrency 16]

Two local aiohttp services (bench/upstream.py) play legacy and candidate. A
GoReplay file of `--requests` recorded requests (80 % GET, 20 % POST, the mix
of bench/mix.lua, no sessions) is replayed with `twinsight replay
--as-fast-as-possible`, capture to a DuckDB file on. The baseline is
bench/bare_client.py: a plain aiohttp client sending the same mix to both
services, no capture. Each round runs every configuration once, in turn;
medians of the rounds are reported, each with its ratio to the baseline's
median and the process's CPU time per request (start-up included). The plain
client and the single-process replays are pinned to CPU 1, wrk to CPU 0; the
services share both. `--workers` scaling is measured unpinned (workers need
cores): --workers 1 and 2, both with --order sessions (what several workers
use). The replay's rate counts replayed requests, each sent to both targets.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass
class Measured:
    """One run of one configuration."""

    rate: float  # requests per second, each sent to every target
    cpu_us: float  # the process's CPU time (children included) per request
    wall_s: float  # the whole command, start-up included


def child(args: list[str], requests: int, *, pin: bool) -> tuple[str, float, float]:
    """(standard output, CPU µs per request, wall s) of `python ARGS`, on CPU 1 if `pin`."""
    prefix = ["taskset", "-c", "1"] if pin and shutil.which("taskset") else []
    started = time.monotonic()
    process = subprocess.Popen([*prefix, PY, *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    # wait4 rather than wait: the child's CPU time (its own children's included) comes with it.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if process.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed ({process.returncode}):\n{out}")
    cpu = usage.ru_utime + usage.ru_stime
    return out, cpu / requests * 1e6, wall


def replay(
    capture: Path,
    targets: tuple[str, str],
    folder: Path,
    count: int,
    extra: list[str],
    *,
    pin: bool,
) -> Measured:
    """`twinsight replay` of `capture` with `extra` flags: the rate as the run reports it."""
    store = folder / f"replay-{time.monotonic_ns()}.duckdb"
    legacy, candidate = targets
    args = ["-m", "twinsight", "replay", "--from", str(capture), "--store", str(store)]
    args += ["--legacy", legacy, "--candidate", candidate, "--as-fast-as-possible", *extra]
    out, cpu_us, wall = child(args, count, pin=pin)
    found = re.search(r"sent (\d+) in ([\d.]+) s \((\d+)/s", out)
    if not found or int(found.group(1)) != count:
        raise SystemExit(f"unexpected replay output:\n{out}")
    for leftover in folder.glob(store.name + "*"):  # the store and its WAL
        leftover.unlink()
    return Measured(float(found.group(3)), cpu_us, wall)


def bare(urls: list[str], count: int, concurrency: int, *, pin: bool = True) -> Measured:
    """A plain aiohttp client sending to every URL (bench/bare_client.py)."""
    script = str(Path(__file__).parent / "bare_client.py")
    args = [script, "--requests", str(count), "--concurrency", str(concurrency), *urls]
    out, cpu_us, wall = child(args, count, pin=pin)
    return Measured(float(out.strip()), cpu_us, wall)


def machine() -> str:
    """Date, CPU, cores, Python and load average: the line a run starts with."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "")
    load = Path("/proc/loadavg").read_text().split()[0]
    return (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {model or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load {load}"
    )


def configurations(
    capture: Path, both: tuple[str, str], folder: Path, n: int, c: int
) -> dict[str, Callable[[], Measured]]:
    """Each row's measurement (one run), in the order a round runs them."""
    flags = ["--concurrency", str(c)]
    sessions = [*flags, "--order", "sessions"]

    def replaying(extra: list[str], *, pin: bool = True) -> Callable[[], Measured]:
        return lambda: replay(capture, both, folder, n, extra, pin=pin)

    return {
        "bare2": lambda: bare(list(both), n, c),
        "bare1": lambda: bare([both[0]], n, c),
        "causal": replaying(flags),
        "sessions": replaying(sessions),
        "bare2u": lambda: bare(list(both), n, c, pin=False),
        "w1": replaying([*sessions, "--workers", "1"], pin=False),
        "w2": replaying([*sessions, "--workers", "2"], pin=False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each wrk run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    c, n = args.concurrency, args.requests
    print(machine())
    with tempfile.TemporaryDirectory(prefix="twinsight-bench-") as scratch, processes() as started:
        folder = Path(scratch)
        capture = folder / "recorded.gor"
        recording(capture, n)
        legacy, candidate = upstream(started), upstream(started)
        runs = configurations(capture, (legacy, candidate), folder, n, c)
        results: dict[str, list[Measured]] = {name: [] for name in runs}
        wrk_rates = []
        for round_ in range(1, args.rounds + 1):
            wrk_rates.append(wrk(int(legacy.rsplit(":", 1)[1]), c, args.duration, None).rps)
            for name, measure in runs.items():
                results[name].append(measure())
            shown = ", ".join(f"{name} {got[-1].rate:,.0f}/s" for name, got in results.items())
            print(f"round {round_}: wrk {wrk_rates[-1]:,.0f}/s, {shown}", flush=True)
    print_table(results, statistics.median(wrk_rates), c, n)


ROWS = {
    "bare2": "plain aiohttp client to legacy + candidate (**the baseline**)",
    "bare1": "plain aiohttp client to the legacy alone",
    "causal": "twinsight replay (default: --order causal), capture on",
    "sessions": "twinsight replay --order sessions, capture on",
    "bare2u": "plain client to legacy + candidate, unpinned",
    "w1": "twinsight replay --order sessions --workers 1, unpinned",
    "w2": "twinsight replay --workers 2 (sessions), unpinned",
}


def print_table(results: dict[str, list[Measured]], wrk_rate: float, c: int, n: int) -> None:
    """The Markdown table: medians, each against the pinned plain client's median."""
    rate = {name: statistics.median(m.rate for m in got) for name, got in results.items()}
    cpu = {name: statistics.median(m.cpu_us for m in got) for name, got in results.items()}
    print(f"\n{n:,} requests, {c} concurrent, medians of {len(results['bare2'])} rounds\n")
    print("| what | requests/s | x plain client to both | CPU µs / request |")
    print("|---|---:|---:|---:|")
    ratio = wrk_rate / rate["bare2"]
    print(f"| wrk -c{c} straight to the legacy | {wrk_rate:,.0f} | {ratio:.2f} | - |")
    for name, what in ROWS.items():
        ratio = rate[name] / rate["bare2"]
        print(f"| {what} | {rate[name]:,.0f} | {ratio:.2f} | {cpu[name]:,.0f} |")
    walls = statistics.median(m.wall_s for m in results["causal"])
    print(
        f"\n--workers 2 / --workers 1 (both unpinned): {rate['w2'] / rate['w1']:.2f}x; "
        f"the whole default replay command took {walls:.1f} s (start-up and store included)"
    )


if __name__ == "__main__":
    main()
