"""The real-service case of `bench/accuracy.py`: Kinto 14.8.0 (legacy) against 26.5.0.

Labels come from `labels.py`: the workload (`kinto_workload.py`) played directly,
whole, against `LABEL_RUNS` fresh instances of each version. The measured run
starts one fresh instance of each, puts `twinsight proxy` in front (writes
mirrored, ids correlated, zero config: no `twinsight.toml`, no replica, no spec),
plays the same workload through it into a store and analyses the store; then the
same with a second instance of the legacy version as the replica. Stored
exchanges are matched to requests by order (one exchange per request).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
from scoring import Judged, Score, score

KINTO = f"kinto {VERSIONS[0]} -> {VERSIONS[1]}"
LABEL_RUNS = 3
CASE_TIMEOUT_S = 300.0
"""Longest one labelling or one capture may take: the case stops by itself."""


@dataclass(frozen=True)
class Verdict:
    """twinsight's verdict on one request of the workload."""

    request: str
    classification: str
    reason: str
    differences: frozenset[str]  # `location kind` of its real differences, indexes folded


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


def label_requests(runs: int = LABEL_RUNS) -> list[Label]:
    """Each workload request's label, from `runs` fresh instances of each version."""
    return asyncio.run(asyncio.wait_for(_label_runs(runs), CASE_TIMEOUT_S))


async def _through_proxy(store: Path, replica: bool) -> None:
    async with AsyncExitStack() as servers:
        targets = {"legacy": await servers.enter_async_context(kinto_instance(VERSIONS[0]))}
        if replica:  # a second instance of the legacy version
            targets["replica"] = await servers.enter_async_context(kinto_instance(VERSIONS[0]))
        targets["candidate"] = await servers.enter_async_context(kinto_instance(VERSIONS[1]))
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


def capture(store: Path, replica: bool = False) -> None:
    """The workload through `twinsight proxy` in front of fresh instances (and a replica of
    the legacy if asked), into `store`."""
    asyncio.run(asyncio.wait_for(_through_proxy(store, replica), CASE_TIMEOUT_S))


def judge(store: Path) -> tuple[list[Verdict], int]:
    """Analyse `store` with zero config: each request's verdict, and the real clusters."""
    analysis = analyze_store(store, None, config=Config(), spec=None, full=True)
    with Store.open(store) as stored:
        found = list(stored.earlier_verdicts())
    if len(found) != len(WORKLOAD):
        raise RuntimeError(f"kinto: {len(found)} verdicts for {len(WORKLOAD)} requests")
    if any(v.method != r.method for r, v in zip(WORKLOAD, found, strict=True)):
        raise RuntimeError("kinto: stored exchanges are not in the workload's order")
    # Named by the workload's template: the ids in stored paths change from run to run.
    verdicts = [
        Verdict(request.shown(), v.classification, v.reason, _real_differences(v.differences))
        for request, v in zip(WORKLOAD, found, strict=True)
    ]
    return verdicts, sum(1 for c in analysis.clusters if not c.noise)


def _real_differences(found: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """What twinsight neither called noise nor found accepted, array indexes folded."""
    return frozenset(
        re.sub(r"\[\d+\]", "[]", str(d["location"])) + f" {d['kind']}"
        for d in found
        if not d.get("noise") and not d.get("accepted")
    )


def alarm_groups(labels: Iterable[Label], verdicts: Iterable[Verdict]) -> dict[str, int]:
    """False alarms grouped by the real differences twinsight saw: what to fix, by size."""
    groups: dict[str, int] = {}
    for label, verdict in zip(labels, verdicts, strict=True):
        if not label.divergent and verdict.classification not in ("match", "noise"):
            key = ", ".join(sorted(verdict.differences)) or verdict.reason
            groups[key] = groups.get(key, 0) + 1
    return dict(sorted(groups.items(), key=lambda item: -item[1]))


def kinto_judged(
    labels: Sequence[Label], store: Path, replica: bool = False
) -> tuple[list[Judged], int, list[Verdict]]:
    """The real-service case captured into `store` and judged against its labels."""
    capture(store, replica)
    verdicts, clusters = judge(store)
    judged = [
        Judged(
            number,
            verdict.request,
            "divergent" if label.divergent else "agreeing",
            label.causes,
            verdict.classification,
            verdict.reason,
        )
        for number, (label, verdict) in enumerate(zip(labels, verdicts, strict=True), start=1)
    ]
    return judged, clusters, verdicts


def measure_kinto(rounds: int, scratch: Path, notes: list[str]) -> dict[tuple[str, str], Score]:
    """The real-service case `rounds` times; what it says beside the table goes to `notes`.
    Nothing (and one note) when its versions cannot be installed."""
    missing = installed()
    if missing:
        notes.append(f"skipping the {KINTO} case: {missing}")
        return {}
    labels = label_requests()
    causes = set().union(*(label.causes for label in labels))
    divergent = sum(label.divergent for label in labels)
    notes.append(
        f"{KINTO}: {len(labels)} requests, {divergent} divergent, "
        f"{len(labels) - divergent} agreeing, {len(causes)} causes "
        f"(labelled from {LABEL_RUNS} fresh instances of each version)"
    )
    total, beside, groups = Score(), Score(), Counter[str]()
    for number in range(rounds):
        judged, clusters, verdicts = kinto_judged(labels, scratch / f"kinto-{number}.duckdb")
        total = score(judged, clusters, total)
        groups.update(alarm_groups(labels, verdicts))
        replicated = scratch / f"kinto-replica-{number}.duckdb"
        judged, clusters, _ = kinto_judged(labels, replicated, replica=True)
        beside = score(judged, clusters, beside)
    notes.append(f"\n#### {KINTO}: false alarms by the real differences twinsight saw\n")
    notes.append("| requests (all runs) | differences (location kind) |\n|---:|---|")
    notes.extend(f"| {n} | {_cell(g)} |" for g, n in groups.most_common())
    return {(KINTO, "zero config, no spec"): total, (KINTO, "replica, no config, no spec"): beside}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")[:300]
