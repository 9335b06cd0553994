"""The admin endpoints of a capture run by several workers: one `/metrics`, one `/health`.

Each worker serves its own admin on a loopback port only the parent knows; the
parent's `/metrics` scrapes them all and adds them up, so a Prometheus scraping the
`--admin` address sees one process's names and labels whatever `--workers` is:
counters, histogram buckets and gauges summed over workers, except the flush lag,
which is the largest. `twinsight_workers` says how many answered the scrape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator

import aiohttp
import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from .service import Address, listen_on

__all__ = ["WorkerAdmin", "summed"]

_LARGEST = {"twinsight_store_flush_lag_seconds"}  # a lag is as bad as the worst worker's
_SCRAPE_S = 5.0


def summed(expositions: Iterable[str]) -> list[Metric]:
    """The metric families of several expositions, each sample added up across them (by
    name and labels; the largest value for the gauges in `_LARGEST`)."""
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in expositions:
        for family in text_string_to_metric_families(text):
            if family.name not in families:
                families[family.name] = Metric(family.name, family.documentation, family.type)
                values[family.name] = {}
            into = values[family.name]
            for sample in family.samples:
                if sample.name.endswith("_created"):  # a start time: no sum means anything
                    continue
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if family.name in _LARGEST:
                    into[key] = max(into.get(key, sample.value), sample.value)
                else:
                    into[key] = into.get(key, 0.0) + sample.value
    for name, family in families.items():
        for (sample_name, labels), value in values[name].items():
            family.add_sample(sample_name, dict(labels), value)
    return list(families.values())


class _Summed(Collector):
    def __init__(self, families: list[Metric], workers: int) -> None:
        self.families, self.workers = families, workers

    def collect(self) -> Iterator[Metric]:
        yield from self.families
        yield GaugeMetricFamily(
            "twinsight_workers", "worker processes that answered this scrape", value=self.workers
        )


class WorkerAdmin:
    """The parent's admin listener, over the workers `admins` names at each request."""

    def __init__(self, admins: Callable[[], list[Address]]) -> None:
        self.admins = admins
        self._runners: list[web.AppRunner] = []  # also one that failed to bind
        self._session: aiohttp.ClientSession | None = None

    async def start(self, address: Address) -> Address:
        """Listen on `address`; the address bound."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_SCRAPE_S))
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        return await listen_on(app, address, self._runners, option="--admin")

    async def close(self) -> None:
        """Stop listening."""
        for runner in self._runners:
            await runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _scrape(self, path: str) -> list[tuple[int, bytes]]:
        """Each ready worker's answer at `path` (a worker that does not answer is left out)."""
        assert self._session is not None
        session = self._session

        async def one(address: Address) -> tuple[int, bytes] | None:
            try:
                async with session.get(f"http://{address[0]}:{address[1]}{path}") as answer:
                    return answer.status, await answer.read()
            except (aiohttp.ClientError, TimeoutError):
                return None

        got = await asyncio.gather(*(one(a) for a in self.admins()))
        return [g for g in got if g is not None]

    async def _metrics(self, _: web.Request) -> web.Response:
        answers = await self._scrape("/metrics")
        registry = CollectorRegistry()
        registry.register(_Summed(summed(body.decode() for _, body in answers), len(answers)))
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": "text/plain; version=0.0.4"}
        )

    async def _health(self, _: web.Request) -> web.Response:
        answers = await self._scrape("/health")
        states = [orjson.loads(body) for _, body in answers]
        reasons = sorted({str(s["reason"]) for s in states if "reason" in s})
        failing = bool(reasons) or not answers
        state: dict[str, object] = {"status": "failing" if failing else "ok"}
        if reasons:
            state["reason"] = "; ".join(reasons)
        elif not answers:
            state["reason"] = "no worker answered"
        state["store_backlog"] = sum(int(s.get("store_backlog", 0)) for s in states)
        state["workers"] = len(answers)
        return web.Response(
            status=503 if failing else 200,
            body=orjson.dumps(state),
            content_type="application/json",
        )
