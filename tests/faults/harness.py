"""The proxy as a real process, and what the store kept afterwards.

The proxy runs as `twinsight proxy` in a process of its own, as in production:
its memory is its own (peak RSS from /proc), its log is a file the tests read,
and it stops on SIGTERM. Its admin listener gives the counters between phases.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from twinsight.store import open_store

__all__ = [
    "FLUSH_INTERVAL_S",
    "Capture",
    "ProxyProcess",
    "configured_proxy",
    "idle",
    "parse_metrics",
    "proxy_process",
    "read_capture",
    "toml_value",
]

FLUSH_INTERVAL_S = 0.05
"""The proxies' store flush interval: a kill loses at most this much of capture."""
_READY_S = 30.0
_STOP_S = 30.0


def idle(counts: dict[str, float]) -> bool:
    """Whether the metrics show no mirror in flight and nothing waiting for the writer."""
    return (
        counts.get("twinsight_mirrors_in_flight") == 0
        and counts.get("twinsight_store_queue_depth") == 0
    )


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus exposition text as {name or name{labels}: value}, comments skipped."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        values[name] = float(value)
    return values


@dataclass
class ProxyProcess:
    """A running `twinsight proxy`: where it listens, where it logs, where it stores."""

    process: asyncio.subprocess.Process
    url: str
    admin: str
    store: Path
    log: Path

    async def metrics(self) -> dict[str, float]:
        """The admin listener's counters now."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"{self.admin}/metrics") as answer,
        ):
            return parse_metrics(await answer.text())

    async def settle(self, within: float = 20.0) -> dict[str, float]:
        """Wait until no mirror is in flight and the writer's queue is empty; the counters then.

        Gives up after `within` seconds (a failing store may never drain): check `idle`.
        """
        deadline = time.monotonic() + within
        while True:
            counts = await self.metrics()
            if idle(counts) or time.monotonic() > deadline:
                return counts
            await asyncio.sleep(0.05)

    def peak_rss_mib(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    async def stop(self) -> int:
        """SIGTERM, then wait for the summary line; the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), _STOP_S)

    def output(self) -> str:
        """Everything the proxy wrote to stderr so far."""
        return self.log.read_text(errors="replace")


def proxy_process(
    folder: Path, legacy: str, candidate: str, **capture: Any
) -> AbstractAsyncContextManager[ProxyProcess]:
    """`twinsight proxy` between `legacy` and `candidate`, [capture] settings from `capture`,
    storing to a DuckDB file in `folder`."""
    store = {"path": str(folder / "capture.duckdb")}
    return configured_proxy(folder, legacy, candidate, store, capture)


@asynccontextmanager
async def configured_proxy(
    folder: Path,
    legacy: str,
    candidate: str,
    store: Mapping[str, object],
    capture: Mapping[str, object],
    in_child: Callable[[], None] | None = None,
    args: tuple[str, ...] = (),
) -> AsyncIterator[ProxyProcess]:
    """`twinsight proxy` with [store] and [capture] settings as given, and `args` on its
    command line; `in_child` runs in the proxy's process before it starts (to set resource
    limits)."""
    log, config = folder / "proxy.log", folder / "twinsight.toml"
    stores = "".join(f"{key} = {toml_value(value)}\n" for key, value in store.items())
    settings = "".join(f"{key} = {toml_value(value)}\n" for key, value in capture.items())
    config.write_text(
        f"[targets]\nlegacy = {toml_value(legacy)}\ncandidate = {toml_value(candidate)}\n\n"
        f"[store]\n{stores}flush_interval_s = {FLUSH_INTERVAL_S}\n\n[capture]\n{settings}"
    )
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *_twinsight(),
            "proxy",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            *args,
            stdout=sink,
            stderr=sink,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=in_child,
        )
    try:
        url, admin = await _ready(process, log)
        where = Path(str(store.get("path") or store.get("segments")))
        yield ProxyProcess(process, url, admin, where, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def toml_value(value: object) -> str:
    """A TOML literal for a string, number or boolean setting."""
    if isinstance(value, bool | int | float | str):
        return json.dumps(value)  # JSON's strings, numbers and booleans are TOML's too
    raise TypeError(f"no TOML literal for {value!r}")


def _twinsight() -> list[str]:
    return [sys.executable, "-m", "twinsight"]


async def _ready(process: asyncio.subprocess.Process, log: Path) -> tuple[str, str]:
    """The proxy's and admin's URLs from its first line, once it listens."""
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if "listening on" in line:
                words = line.split()
                return words[4].rstrip(","), words[-1]
        if process.returncode is not None:
            break
        await asyncio.sleep(0.02)
    raise AssertionError(f"the proxy did not start:\n{log.read_text(errors='replace')}")


@dataclass(frozen=True)
class Capture:
    """What the store holds for one phase: exchanges, and each target's outcome counts."""

    exchanges: int
    outcomes: dict[str, dict[str, int]]


def read_capture(store: Path, prefix: str) -> Capture:
    """Exchanges whose path starts with `prefix`, and per target {status or error: count}."""
    db = open_store(store)
    like = prefix + "/%"
    row = db.execute("SELECT count(*) FROM exchanges WHERE path LIKE ?", [like]).fetchone()
    outcomes: dict[str, dict[str, int]] = {}
    for target, outcome, count in db.execute(
        "SELECT r.target, coalesce(r.error, CAST(r.status AS VARCHAR)), count(*) "
        "FROM responses r JOIN exchanges e ON e.id = r.exchange_id "
        "WHERE e.path LIKE ? GROUP BY 1, 2",
        [like],
    ).fetchall():
        outcomes.setdefault(str(target), {})[str(outcome)] = int(count)
    return Capture(int(row[0]) if row else 0, outcomes)
