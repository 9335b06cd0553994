"""A client load: GETs with bounded concurrency, each status and latency as the client saw it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

__all__ = ["Load", "drive"]


@dataclass
class Load:
    """What the client saw over one run of requests: status (0: no answer) and latency each."""

    statuses: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def success(self, expected: int = 200) -> float:
        """The share of requests answered with `expected`, in percent."""
        if not self.statuses:
            return 0.0
        return 100.0 * sum(s == expected for s in self.statuses) / len(self.statuses)


async def drive(
    url: str, prefix: str, count: int, *, concurrency: int = 8, timeout: float = 15.0
) -> Load:
    """Send `count` GETs to `url` + `prefix`/N, `concurrency` at a time, each read to the end."""
    load = Load()
    queue = iter(range(count))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:

        async def worker() -> None:
            for n in queue:
                started = time.perf_counter()
                try:
                    async with session.get(f"{url}{prefix}/{n}") as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                load.statuses.append(status)
                load.latencies_ms.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return load
