"""The admin listener's /health turns unhealthy while captured exchanges cannot be stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pyarrow as pa
import pytest

from twinsight.examples.tasks.serve import start
from twinsight.proxy.metrics import CaptureMetrics
from twinsight.proxy.service import admin_app
from twinsight.records import Exchange
from twinsight.store import CaptureCounters, Redactor, StoreWriter
from twinsight.store.sinks import DuckDBSink, Sink


class BrokenDisk:
    """A store whose writes fail with OSError until `failing` is cleared, as on a full disk."""

    def __init__(self, real: Sink) -> None:
        self.real, self.failing = real, True

    def write(self, tables: dict[str, pa.Table], *args: Any, **kwargs: Any) -> Any:
        if self.failing:
            raise OSError(28, "No space left on device")
        return self.real.write(tables, *args, **kwargs)

    def reopen(self) -> None:
        self.real.reopen()

    def close(self) -> None:
        self.real.close()


Health = Callable[[], Coroutine[Any, Any, tuple[int, dict[str, Any]]]]


@pytest.fixture
async def health(tmp_path: Path) -> AsyncIterator[tuple[BrokenDisk, StoreWriter, Health]]:
    disk, counters = BrokenDisk(DuckDBSink(tmp_path / "health.duckdb")), CaptureCounters()
    writer = StoreWriter(disk, redactor=Redactor(), counters=counters, flush_interval=0.05).start()
    runner, port = await start(admin_app(CaptureMetrics(counters), writer))

    async def get() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/health") as answer,
        ):
            return answer.status, orjson.loads(await answer.read())

    yield disk, writer, get
    disk.failing = False
    await runner.cleanup()
    await asyncio.get_running_loop().run_in_executor(None, writer.close)


def exchange() -> Exchange:
    return Exchange(
        id="x1", source="proxy", method="GET", path="/", ts=datetime.now(UTC), responses=()
    )


async def test_health_fails_while_the_store_cannot_be_written_and_recovers(
    health: tuple[BrokenDisk, StoreWriter, Health],
) -> None:
    disk, writer, get = health
    writer.submit(exchange())
    for _ in range(100):  # the writer notices at its next flush
        status, state = await get()
        if status != 200:
            break
        await asyncio.sleep(0.02)
    assert status == 503
    assert state["status"] == "failing"
    assert "No space left on device" in state["reason"]
    assert state["store_backlog"] == 1
    disk.failing = False
    for _ in range(100):
        status, state = await get()
        if status == 200:
            break
        await asyncio.sleep(0.02)
    assert (status, state) == (200, {"status": "ok", "store_backlog": 0})
