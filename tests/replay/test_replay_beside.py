"""`twinsight replay --store FILE`, as a real process, writes Parquet segments beside FILE
as a capture does: what it flushed is read with FILE while it runs and after it is killed,
a second run into FILE is refused meanwhile, and the next run absorbs what a killed one
left."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.proxy.test_capture_beside import in_file, read
from twinsight.examples.tasks.serve import start
from twinsight.store import StoreError, segment_folder
from twinsight.store.capturelock import capture_holds

SEPARATOR = "\n🐵🙈🙉\n".encode()
_WITHIN_S = 60.0


def recording(path: Path, count: int, first: int = 1) -> Path:
    """A GoReplay file of `count` GETs a millisecond apart, each with its answer."""
    start_ns = 1_763_632_800_000_000_000
    payloads = []
    for i in range(first, first + count):
        ts = start_ns + i * 1_000_000
        payloads.append(b"1 r%d %d 0\nGET /items/%d HTTP/1.1\r\nHost: api\r\n\r\n" % (i, ts, i))
        payloads.append(b'2 r%d %d 100000\nHTTP/1.1 200 OK\r\n\r\n{"id": %d}' % (i, ts, i))
    path.write_bytes(SEPARATOR.join(payloads))
    return path


@pytest.fixture
async def targets() -> AsyncIterator[list[str]]:
    async def item(request: web.Request) -> web.Response:
        return web.json_response({"id": int(request.match_info["id"])})

    runners = []
    for _ in range(2):
        app = web.Application()
        app.router.add_get("/items/{id}", item)
        runners.append(await start(app))
    yield [f"http://127.0.0.1:{port}" for _, port in runners]
    for runner, _ in runners:
        await runner.cleanup()


def replay_argv(source: Path, store: Path, urls: list[str], *more: str) -> list[str]:
    legacy, candidate = urls
    return [
        *(sys.executable, "-m", "twinsight", "replay", "--from", str(source)),
        *("--store", str(store), "--legacy", legacy, "--candidate", candidate, *more),
    ]


async def finished(argv: list[str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), _WITHIN_S)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def stored_soon(store: Path, process: asyncio.subprocess.Process) -> int:
    """What a reader of `store` finds once the running replay has flushed something."""
    deadline = time.monotonic() + _WITHIN_S
    while (found := await asyncio.to_thread(_read_if_there, store)) == 0:
        assert process.returncode is None, "the replay ended before flushing anything"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    return found


def _read_if_there(store: Path) -> int:
    """0 until the run has created the file and let it go (it absorbs into it at its start)."""
    try:
        return read(store) if store.exists() else 0
    except StoreError:  # held for writing by that absorb
        return 0


async def test_a_running_replay_is_read_with_its_file_and_a_killed_ones_segments_are_absorbed(
    targets: list[str], tmp_path: Path
) -> None:
    store = tmp_path / "out.duckdb"
    slow = replay_argv(recording(tmp_path / "slow.gor", 2_000), store, targets, "--rate", "40")
    process = await asyncio.create_subprocess_exec(*slow, stderr=asyncio.subprocess.DEVNULL)
    try:
        await stored_soon(store, process)
        assert capture_holds(store)
        # A second run into the same file is refused in one line, and writes nothing.
        short = replay_argv(recording(tmp_path / "short.gor", 5, first=5_000), store, targets)
        code, err = await finished(short)
        assert code != 0
        assert err.strip() == (
            f"error: {store}: another twinsight capture or replay writes into it "
            f"(its segments in {segment_folder(store)}); stop it, or give another --store"
        )
    finally:
        process.kill()
        await process.wait()
    flushed = read(store)
    assert flushed > 0
    assert in_file(store) == 0  # all of it still in the segments beside the file
    code, err = await finished(short)
    assert code == 0, err
    assert in_file(store) == read(store) == flushed + 5
    assert not segment_folder(store).exists()


async def test_replay_workers_into_a_file_leave_every_exchange_in_it(
    targets: list[str], tmp_path: Path
) -> None:
    store = tmp_path / "out.duckdb"
    argv = replay_argv(recording(tmp_path / "r.gor", 40), store, targets, "--workers", "2")
    code, err = await finished(argv)
    assert code == 0, err
    assert in_file(store) == read(store) == 40
    assert not segment_folder(store).exists()
