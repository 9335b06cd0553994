"""Benchmark: the rate `twinsight load` achieves against wrk's, on the same example service.

    .venv/bin/python bench/load.py [--duration 5] [--rounds 3] [--users 10]

The example's legacy Task Management service (aiohttp + SQLite) runs in its own
process pinned to CPU 1. Both load generators are pinned to CPU 0 and send the same
read-only mix as fast as they can: GET /health and GET /tasks in turn, with the bearer
token the service wants, over `--users` connections (wrk: one thread, `-c users`;
twinsight load: `users` locust users, no --rate, one locust process). Rounds are
interleaved; medians are reported, and the ratio load / wrk. The service answers the
same requests either way, so the ratio is what locust's sending costs against wrk's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from twinsight.examples.tasks.auth import make_token
from twinsight.load import LoadRequest, LoadShape, run_load
from twinsight.load.results import summary

PATHS = ("/health", "/tasks")
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer %s"})
end
"""


def _pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() != 1 else []


def service(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """The example legacy service on an ephemeral port, and its URL."""
    argv = [sys.executable, "-m", "twinsight", "example", "legacy", "--port", "0"]
    process = subprocess.Popen(
        [*_pinned(1), *argv, "--db", str(folder / "legacy.sqlite")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    return process, process.stdout.readline().split()[-1]


def wrk_rate(url: str, script: Path, users: int, duration: float) -> float:
    """wrk's requests per second on the mix."""
    out = subprocess.run(
        [*_pinned(0), "wrk", "-t1", f"-c{users}", f"-d{max(1, round(duration))}s",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise SystemExit(f"wrk printed no rate:\n{out}")
    return float(found[1])


def load_rate(url: str, token: str, users: int, duration: float) -> float:
    """`twinsight load`'s achieved requests per second on the same mix (its locust process
    inherits this process's CPU 0)."""
    auth = (("Authorization", f"Bearer {token}"),)
    requests = [LoadRequest("GET", p, f"GET {p}", auth) for p in PATHS]
    shape = LoadShape(users=users, duration_s=max(1, round(duration)))  # whole seconds: locust's
    rows = run_load({"legacy": url}, requests, shape)
    return summary(rows)[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/load.py needs wrk (apt-get install -y wrk)")
    if _pinned(0):
        os.sched_setaffinity(0, {0})
    token = make_token()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        script = Path(folder) / "mix.lua"
        script.write_text(LUA % (", ".join(f'"{p}"' for p in PATHS), token), encoding="utf-8")
        process, url = service(Path(folder))
        try:
            rates: dict[str, list[float]] = {"wrk": [], "twinsight load": []}
            for done in range(1, args.rounds + 1):
                rates["wrk"].append(wrk_rate(url, script, args.users, args.duration))
                rates["twinsight load"].append(load_rate(url, token, args.users, args.duration))
                print(f"round {done}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items()))
        finally:
            process.terminate()
            process.wait(15)
    wrk_median = statistics.median(rates["wrk"])
    print(f"\n{args.users} connections/users, {args.duration:g} s, median of {args.rounds}")
    print("| generator | req/s | x wrk |\n|---|---:|---:|")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"| {name} | {median:,.0f} | {median / wrk_median:.2f} |")


if __name__ == "__main__":
    main()
