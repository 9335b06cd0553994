"""Benchmark: what twinsight proxy costs the client, against baselines measured in the same run.

    .venv/bin/python bench/proxy.py [--duration 5] [--rounds 3] [--soak-minutes 10]

Everything runs on loopback; wrk (Debian package) drives 50 connections with an
80 % GET / 20 % POST mix (bench/mix.lua). Configurations are interleaved round
by round so the machine's noise falls on all of them alike; medians are
reported. Each proxy process is pinned to CPU 1 and its CPU time per request
read from /proc. Rows:

- direct: wrk straight to the upstream
- bare forward: a bare aiohttp reverse proxy (bench/bare_proxy.py)
- bare forward+mirror: the same, also mirroring to the candidate (the baseline)
- twinsight: `twinsight proxy --mirror-writes --store FILE` (segments beside FILE, absorbed
  at the stop)
- twinsight --workers 2: the same with two worker processes on one port, not pinned
  (they share both CPUs with wrk, which stays on CPU 0, and the two upstreams)
- mitmdump: mitmproxy in reverse mode, no addon

Then the client's latency at 1 connection, the client's latency when the
candidate answers after 2 s or never (versus a healthy candidate and versus
mirroring nothing), and, with --soak-minutes, twinsight's RSS over a long run
(`--soak-store segments` for `--segments DIR` instead of `--store FILE`).
The bare proxy and twinsight run on the same event loop: uvloop's when installed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
PY = sys.executable
BIN = Path(PY).parent
TICK = os.sysconf("SC_CLK_TCK")
ADMINS: dict[int, int] = {}  # a twinsight proxy's port: its admin port


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_us: float | None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a benchmark process exited early: {process.args}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}: {process.args}")


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def launch(started: list[subprocess.Popen[bytes]], argv: list[str], port: int, *, pin: bool) -> int:
    prefix = (
        ["taskset", "-c", "1"] if pin and shutil.which("taskset") and os.cpu_count() != 1 else []
    )
    process = subprocess.Popen(
        [*prefix, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    started.append(process)
    wait_listening(port, process)
    return process.pid


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (a --workers proxy's workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants."""
    total = 0
    for member in tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def machine() -> str:
    """Date, CPU, cores, Python, event loop and load: the line each run starts with."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    load = Path("/proc/loadavg").read_text().split()[0]
    return (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {model}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {loop}, load {load}"
    )


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, connections: int, duration: float, pid: int | None) -> Run:
    before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            str(HERE / "mix.lua"),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - before if pid else None
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    # A run in which nothing (or too little) was answered has no distribution: 0.
    percentiles = {"50": "0us", "99": "0us", **percentiles}
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=requests,
        errors=errors,
        cpu_us=cpu * 1e6 / requests if cpu is not None and requests else None,
    )


def upstream(started: list[subprocess.Popen[bytes]], delay: float = 0.0) -> str:
    port = free_port()
    launch(
        started,
        [PY, str(HERE / "upstream.py"), "--port", str(port), "--delay", str(delay)],
        port,
        pin=False,
    )
    return f"http://127.0.0.1:{port}"


def twinsight(
    started: list[subprocess.Popen[bytes]],
    legacy: str,
    candidate: str,
    store: Path,
    *extra: str,
    workers: int = 1,
    segments: bool = False,
) -> tuple[int, int]:
    port, admin = free_port(), free_port()
    ADMINS[port] = admin
    argv = [
        PY,
        "-m",
        "twinsight",
        "proxy",
        "--admin",
        f"127.0.0.1:{admin}",
        "--legacy",
        legacy,
        "--candidate",
        candidate,
        "--listen",
        f"127.0.0.1:{port}",
        "--segments" if segments else "--store",
        str(store),
        "--mirror-writes",
        "--workers",
        str(workers),
        *extra,
    ]
    # One worker on CPU 1, as every proxy here; more get both CPUs (wrk stays on CPU 0).
    return port, launch(started, argv, port, pin=workers == 1)


def median_run(runs: list[Run]) -> Run:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    cpus = [r.cpu_us for r in runs if r.cpu_us is not None]
    return Run(
        med([r.rps for r in runs]),
        med([r.p50_ms for r in runs]),
        med([r.p99_ms for r in runs]),
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
        med(cpus) if cpus else None,
    )


def interleaved(
    targets: dict[str, tuple[int, int | None]], connections: int, duration: float, rounds: int
) -> dict[str, Run]:
    runs: dict[str, list[Run]] = defaultdict(list)
    for round_ in range(rounds):
        for name, (port, pid) in targets.items():
            runs[name].append(wrk(port, connections, duration, pid))
            print(f"  round {round_ + 1} {name}: {runs[name][-1].rps:,.0f} rps", file=sys.stderr)
    return {name: median_run(r) for name, r in runs.items()}


def table(results: dict[str, Run], baseline: str, versus: str | None) -> str:
    lines = [
        f"| configuration | req/s | p50 ms | p99 ms | CPU µs/req | x {baseline} |"
        + (f" x {versus} |" if versus else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if versus else ""),
    ]
    for name, run in results.items():
        cpu = f"{run.cpu_us:,.0f}" if run.cpu_us is not None else "-"
        row = (
            f"| {name} | {run.rps:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | {cpu} | "
            f"{run.rps / results[baseline].rps:.2f} |"
        )
        if versus:
            row += f" {run.rps / results[versus].rps:.2f} |" if versus in results else " - |"
        lines.append(row + (f" ({run.errors} errors)" if run.errors else ""))
    return "\n".join(lines)


def mirrored(port: int) -> str:
    """What a twinsight proxy mirrored and dropped so far, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{ADMINS[port]}/metrics", timeout=10) as got:
        text = got.read().decode()
    values: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        if line.startswith(("twinsight_mirrored_total", "twinsight_dropped_total")):
            name, _, value = line.rpartition(" ")
            values[name.split("{")[0]] += float(value)
    return (
        f"mirrored {values['twinsight_mirrored_total']:,.0f}, "
        f"dropped {values['twinsight_dropped_total']:,.0f}"
    )


def print_targets(many: dict[str, Run], one: dict[str, Run], several: str) -> None:
    """Issue 17's targets for the proxy, from this run's figures."""
    ratio = many["twinsight"].rps / many["bare forward+mirror"].rps
    scaling = many[several].rps / many["twinsight"].rps
    added = one["twinsight"].p50_ms - one["direct"].p50_ms
    print("\n## against the targets\n")
    print("| target | measured | met |\n|---|---:|---|")
    for target, measured, met in (
        ("twinsight >= 0.9x bare forward+mirror", f"{ratio:.2f}x", ratio >= 0.9),
        (f"{several} >= 1.6x one worker", f"{scaling:.2f}x", scaling >= 1.6),
        ("added p50 at 1 connection <= +0.5 ms", f"{added:+.3f} ms", added <= 0.5),
    ):
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")


Targets = dict[str, tuple[int, int | None]]


def compare(args: argparse.Namespace, targets: Targets, several: str) -> None:
    """Throughput at many connections, latency at one, and the targets, in one set of rounds."""
    print(f"## {args.connections} connections, 80 % GET / 20 % POST, median of {args.rounds}\n")
    many = interleaved(targets, args.connections, args.duration, args.rounds)
    print(table(many, "bare forward+mirror", "mitmdump" if "mitmdump" in many else None))
    scaling = many[several].rps / many["twinsight"].rps
    print(f"\n{several} / twinsight (one worker): {scaling:.2f}x")
    for name in ("twinsight", several):
        print(f"{name}: {mirrored(targets[name][0])} so far")

    print("\n## 1 connection: latency added to the client\n")
    one = interleaved(targets, 1, args.duration, args.rounds)
    print("| configuration | p50 ms | added p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, run in one.items():
        print(
            f"| {name} | {run.p50_ms:.3f} | {run.p50_ms - one['direct'].p50_ms:+.3f} | "
            f"{run.p99_ms:.3f} |"
        )
    print_targets(many, one, several)


def failing_candidate(
    args: argparse.Namespace,
    started: list[subprocess.Popen[bytes]],
    targets: Targets,
    legacy: str,
    candidate: str,
    folder: Path,
) -> None:
    """The client's latency when the candidate is slow or dead, against mirroring nothing."""
    slow, dead = upstream(started, delay=2.0), upstream(started, delay=3600.0)
    faults: Targets = {
        "mirroring nothing (--sample 0)": twinsight(
            started, legacy, candidate, folder / "s0.duckdb", "--sample", "0"
        ),
        "healthy candidate": targets["twinsight"],
        "candidate answers after 2 s": twinsight(started, legacy, slow, folder / "slow.duckdb"),
        "candidate never answers": twinsight(started, legacy, dead, folder / "dead.duckdb"),
    }
    for connections in (args.connections, 1):
        print(f"\n## a failing candidate: the client's latency, {connections} connection(s)\n")
        results = interleaved(faults, connections, args.duration, args.rounds)
        none, healthy = results["mirroring nothing (--sample 0)"], results["healthy candidate"]
        print(
            "| candidate | req/s | p50 ms | p99 ms | p99 x healthy | p99 x no mirroring |\n"
            "|---|---:|---:|---:|---:|---:|"
        )
        for name, run in results.items():
            print(
                f"| {name} | {run.rps:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | "
                f"{run.p99_ms / healthy.p99_ms:.2f} | {run.p99_ms / none.p99_ms:.2f} |"
            )


def soak(
    args: argparse.Namespace,
    started: list[subprocess.Popen[bytes]],
    targets: Targets,
    legacy: str,
    candidate: str,
    folder: Path,
) -> None:
    """twinsight's RSS (with its workers', if any) under wrk, every 30 s."""
    port, pid = targets["twinsight"]
    if args.soak_store == "segments":
        port, pid = twinsight(started, legacy, candidate, folder / "soak-segments", segments=True)
    assert pid is not None
    print(
        f"\n## soak: twinsight RSS over {args.soak_minutes:g} minutes ({args.soak_store} store)\n"
    )
    print("| minute | requests so far | RSS MB |\n|---:|---:|---:|")
    total, started_at = 0, time.monotonic()
    print(f"| 0 | 0 | {rss_mb(pid):.0f} |")
    while time.monotonic() - started_at < args.soak_minutes * 60:
        total += wrk(port, args.connections, 30, pid).requests
        minutes = (time.monotonic() - started_at) / 60
        print(f"| {minutes:.1f} | {total:,} | {rss_mb(pid):.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--soak-minutes", type=float, default=0.0)
    parser.add_argument("--soak-store", choices=("file", "segments"), default="file")
    parser.add_argument("--soak-only", action="store_true", help="skip the comparisons")
    parser.add_argument("--workers", type=int, default=2, help="the row with more workers")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench/proxy.py needs wrk: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="twinsight-bench-"))
    with processes() as started:
        legacy, candidate = upstream(started), upstream(started)
        targets: Targets = {"direct": (int(legacy.rsplit(":", 1)[1]), None)}
        for name, extra in (("bare forward", []), ("bare forward+mirror", ["--mirror", candidate])):
            port = free_port()
            pid = launch(
                started,
                [
                    PY,
                    str(HERE / "bare_proxy.py"),
                    "--port",
                    str(port),
                    "--upstream",
                    legacy,
                    *extra,
                ],
                port,
                pin=True,
            )
            targets[name] = (port, pid)
        targets["twinsight"] = twinsight(started, legacy, candidate, folder / "bench.duckdb")
        several = f"twinsight --workers {args.workers}"
        targets[several] = twinsight(
            started, legacy, candidate, folder / "workers.duckdb", workers=args.workers
        )
        if (BIN / "mitmdump").exists():
            port = free_port()
            pid = launch(
                started,
                [
                    str(BIN / "mitmdump"),
                    "--mode",
                    f"reverse:{legacy}",
                    "--listen-host",
                    "127.0.0.1",
                    "--listen-port",
                    str(port),
                    "-q",
                    "--set",
                    f"confdir={folder / 'mitm'}",
                ],
                port,
                pin=True,
            )
            targets["mitmdump"] = (port, pid)

        print(f"{machine()}\n")
        if not args.soak_only:
            compare(args, targets, several)
            failing_candidate(args, started, targets, legacy, candidate, folder)
        if args.soak_minutes:
            soak(args, started, targets, legacy, candidate, folder)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
