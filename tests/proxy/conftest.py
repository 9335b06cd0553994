from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from twinsight.config import Config
from twinsight.events import CaptureSummary
from twinsight.examples.tasks.serve import start
from twinsight.proxy.service import Address, run_capture, url_of
from twinsight.store import open_store

from .upstream import SEEN, make_upstream


@dataclass
class Running:
    """A capture process running in this event loop, and where it listens."""

    url: str
    admin: str
    store: Path
    stop: asyncio.Event
    task: asyncio.Task[CaptureSummary]
    upstreams: dict[str, web.Application] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)

    async def finish(self) -> CaptureSummary:
        self.stop.set()
        return await asyncio.wait_for(self.task, 30)

    def seen(self, target: str) -> list[dict[str, Any]]:
        return self.upstreams[target][SEEN]  # type: ignore[no-any-return]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return open_store(self.store).execute(sql).fetchall()


Start = Callable[..., Awaitable[Running]]


@pytest.fixture
async def capture(tmp_path: Path) -> AsyncIterator[Start]:
    """Start a proxy or sink over real upstreams on ephemeral ports; stopped at the end."""
    started: list[Running] = []
    runners: list[web.AppRunner] = []

    async def launch(
        mode: str = "proxy",
        *,
        upstreams: dict[str, web.Application | str] | None = None,
        candidate: web.Application | str | None = None,
        **capture_settings: Any,
    ) -> Running:
        """`candidate` (default: an echoing upstream) behind a legacy, unless `upstreams`."""
        upstreams = upstreams or {
            "legacy": make_upstream("legacy"),
            "candidate": candidate or make_upstream("candidate"),
        }
        targets, apps = {}, {}
        for name, app in upstreams.items():
            if isinstance(app, str):
                targets[name] = app
                continue
            runner, port = await start(app)
            runners.append(runner)
            targets[name], apps[name] = f"http://127.0.0.1:{port}", app
        store = tmp_path / f"{mode}-{len(started)}.duckdb"
        config = Config.model_validate(
            {
                "targets": targets,
                "store": {"path": store, "flush_interval_s": 0.05},
                "capture": {"shutdown_grace_s": 2, **capture_settings},
            }
        )
        bound: list[tuple[Address, Address | None]] = []
        stop = asyncio.Event()
        task = asyncio.ensure_future(
            run_capture(
                mode,  # type: ignore[arg-type]
                config,
                ("127.0.0.1", 0),
                admin=("127.0.0.1", 0),
                stop=stop,
                ready=lambda listening, admin: bound.append((listening, admin)),
            )
        )
        while not bound:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        [(listening, admin)] = bound
        assert admin is not None
        url, admin_url = url_of(listening), url_of(admin)
        running = Running(url, admin_url, store, stop, task, apps, targets)
        started.append(running)
        return running

    yield launch
    for running in started:
        if not running.task.done():
            await running.finish()
    for runner in runners:
        await runner.cleanup()
