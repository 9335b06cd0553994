"""The real-service case of `bench/accuracy.py`: Kinto 14.8.0 (legacy) against 26.5.0.

Labels come from `labels.py`: the workload (`kinto_workload.py`) played directly,
whole, against `LABEL_RUNS` fresh instances of each version. The measured run
starts one fresh instance of each, puts `twinsight proxy` in front (writes
mirrored, ids correlated, zero config: no `twinsight.toml`, no replica, no spec),
plays the same workload through it into a store and analyses the store. Stored
exchanges are matched to requests by order (one exchange per request).
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.proxy.service import Address, run_capture, url_of
from twinsight.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from kinto_service import VERSIONS, NotInstalled, kinto_instance, kinto_program
from kinto_workload import WORKLOAD, Answer, run_workload, send
from labels import Label, label_workload

LABEL_RUNS = 3
CASE_TIMEOUT_S = 300.0
"""Longest one labelling or one capture may take: the case stops by itself."""


@dataclass(frozen=True)
class Verdict:
    """twinsight's verdict on one request of the workload."""

    request: str
    classification: str
    reason: str


def installed() -> str:
    """'' when both versions are installed (installing them if needed), else why not."""
    try:
        for version in VERSIONS:
            kinto_program(version)
    except NotInstalled as error:
        return str(error)
    return ""


async def _one_run(version: str, limit: asyncio.Semaphore) -> list[Answer]:
    async with limit, kinto_instance(version) as base:
        return await run_workload(base)


async def _label_runs(runs: int) -> list[Label]:
    limit = asyncio.Semaphore(2)  # a few servers at a time on a shared machine
    legacy = [_one_run(VERSIONS[0], limit) for _ in range(runs)]
    candidate = [_one_run(VERSIONS[1], limit) for _ in range(runs)]
    answers = await asyncio.gather(*legacy, *candidate)
    return label_workload(answers[:runs], answers[runs:])


def labels(runs: int = LABEL_RUNS) -> list[Label]:
    """Each workload request's label, from `runs` fresh instances of each version."""
    return asyncio.run(asyncio.wait_for(_label_runs(runs), CASE_TIMEOUT_S))


async def _through_proxy(store: Path) -> None:
    async with AsyncExitStack() as servers:
        targets = {
            "legacy": await servers.enter_async_context(kinto_instance(VERSIONS[0])),
            "candidate": await servers.enter_async_context(kinto_instance(VERSIONS[1])),
        }
        config = Config.model_validate(
            {
                "targets": targets,
                "store": {"path": store, "flush_interval_s": 0.2},
                "capture": {"mirror_writes": True},
            }
        )
        stop = asyncio.Event()
        bound: asyncio.Future[Address] = asyncio.get_running_loop().create_future()
        capture = asyncio.ensure_future(
            run_capture(
                "proxy", config, ("127.0.0.1", 0), stop=stop, ready=lambda a, _: bound.set_result(a)
            )
        )
        try:
            first: set[asyncio.Future[Any]] = {capture, bound}
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
            if not capture.done():
                await _play(url_of(bound.result()))
        finally:
            stop.set()
            await capture


async def _play(proxy: str) -> None:
    saved: dict[str, str] = {}
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        for request in WORKLOAD:
            await send(client, proxy, request, saved)


def capture(store: Path) -> None:
    """The workload through `twinsight proxy` in front of fresh instances, into `store`."""
    asyncio.run(asyncio.wait_for(_through_proxy(store), CASE_TIMEOUT_S))


def judge(store: Path) -> tuple[list[Verdict], int]:
    """Analyse `store` with zero config: each request's verdict, and the real clusters."""
    analysis = analyze_store(store, None, config=Config(), spec=None, full=True)
    with Store.open(store) as stored:
        found = list(stored.earlier_verdicts())
    if len(found) != len(WORKLOAD):
        raise RuntimeError(f"kinto: {len(found)} verdicts for {len(WORKLOAD)} requests")
    verdicts = [
        Verdict(
            f"{v.method} {v.path}" + (f"?{v.query}" if v.query else ""), v.classification, v.reason
        )
        for v in found
    ]
    return verdicts, sum(1 for c in analysis.clusters if not c.noise)
