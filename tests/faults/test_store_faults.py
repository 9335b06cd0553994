"""The store under faults: a stop or a kill mid-load, a full disk, a lost folder, a held lock,
large answers. The client path never suffers, and what capture could not keep is counted.

Each test runs `twinsight proxy` as a process on loopback. The store's own counters
(`capture_counters`, one cumulative row per name and flush) are the account checked:
served, stored, dropped, and `store_info`'s `lost` (neither stored nor dropped).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, closing
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.cli.run import twinsight
from twinsight.store import open_store, segment_folder, store_info

from .faulty import FaultyServer, faulty_server
from .harness import ProxyProcess, configured_proxy, proxy_process
from .load import Load, drive
from .phases import first_traceback
from .table import FaultTable, Row, row

REQUESTS, CONCURRENCY = 500, 20
SIGNAL_AFTER = 200  # legacy requests read before the signal: the load is still going
MIB = 1 << 20
LARGE = 50 * MIB
MID = 24 << 10  # under the 32 KiB kept inside the DuckDB file
REFUSED = "dropped: the store refused it"  # the writer's log line for dropped.store_error
FILE_LIMIT = 1 << 30  # RLIMIT_FSIZE at the start: SIGXFSZ ignored, no file near it
FULL = 1 << 10  # RLIMIT_FSIZE once the disk is full: no segment (nor the store) fits
RSS_BOUND_MIB = 1200


# -- helpers -----------------------------------------------------------------------------


def writer_counts(store: Path, segments: Path | None = None) -> dict[str, dict[str, int]]:
    """Each writer's last counters in the store: {writer: {name: value}}."""
    with closing(open_store(store, segments)) as db:
        rows = db.execute(
            "SELECT writer, name, arg_max(value, ts) FROM capture_counters GROUP BY 1, 2"
        ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for writer, name, value in rows:
        counts.setdefault(str(writer), {})[str(name)] = int(value)
    return counts


def exchanges(store: Path | None, segments: Path | None = None, prefix: str = "/") -> int:
    """Exchanges stored whose path starts with `prefix`."""
    with closing(open_store(store, segments)) as db:
        found = db.execute(
            "SELECT count(*) FROM exchanges WHERE starts_with(path, ?)", [prefix]
        ).fetchone()
    return int(found[0]) if found else 0


def dropped_in(counts: dict[str, int]) -> int:
    """Every `dropped.*` counter of one writer."""
    return sum(v for k, v in counts.items() if k.startswith("dropped."))


def drop_reasons(metrics: dict[str, float]) -> dict[str, int]:
    """{reason: count} of the proxy's non-zero `twinsight_dropped_total` metrics."""
    return {
        name.split('reason="')[1].split('"')[0]: int(value)
        for name, value in metrics.items()
        if name.startswith("twinsight_dropped_total{") and 'reason="' in name and value
    }


def first_line_with(log: str, text: str) -> str:
    """The first line of `log` holding `text`."""
    return next((line for line in log.splitlines() if text in line), "")


def summary_line(log: str) -> str:
    """The proxy's last line at shutdown ('' when it printed none)."""
    lines = [line for line in log.splitlines() if line.startswith("twinsight proxy: served")]
    return lines[-1] if lines else ""


async def health(proxy: ProxyProcess) -> tuple[int, dict[str, object]]:
    """The admin `/health`: status code and JSON body."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{proxy.admin}/health") as answer,
    ):
        return answer.status, json.loads(await answer.text())


async def after_reads(server: FaultyServer, count: int, within: float = 20.0) -> None:
    """Return once `server` has read `count` requests."""
    deadline = time.monotonic() + within
    while server.requests < count and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


@asynccontextmanager
async def answer_server() -> AsyncIterator[str]:
    """A target answering /big/* with 1 MiB, /mid/* with 24 KiB, /large with 50 MB, else JSON."""
    big, large = os.urandom(MIB), os.urandom(LARGE)  # incompressible: real bytes on disk
    mid = os.urandom(MID)

    async def answer(request: web.Request) -> web.Response:
        if request.path.startswith("/big/"):
            return web.Response(body=big, content_type="application/octet-stream")
        if request.path.startswith("/mid/"):
            return web.Response(body=mid, content_type="application/octet-stream")
        if request.path == "/large":
            return web.Response(body=large, content_type="application/octet-stream")
        return web.json_response({"ok": True, "path": request.path})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def stored_at_least(proxy: ProxyProcess, count: int, within: float = 20.0) -> None:
    """Return once the proxy's writer has stored `count` exchanges."""
    deadline = time.monotonic() + within
    while (await proxy.metrics()).get("twinsight_stored_total", 0) < count:
        assert time.monotonic() < deadline, f"fewer than {count} stored within {within} s"
        await asyncio.sleep(0.05)


def _limit_file_size(limit: int) -> None:
    """In the child: files stop growing at `limit` bytes, with EFBIG rather than a signal."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def launch(
    folder: Path,
    legacy: str,
    candidate: str,
    store: dict[str, object],
    *,
    file_limit: int | None = None,
    **capture: object,
) -> AbstractAsyncContextManager[ProxyProcess]:
    """`twinsight proxy` as `proxy_process` runs it, with any [store] and a file-size limit."""
    limit = None if file_limit is None else (lambda: _limit_file_size(file_limit))
    return configured_proxy(folder, legacy, candidate, store, capture, limit)


async def signalled_under_load(
    tmp_path: Path, signum: signal.Signals
) -> tuple[Load, float, int, str, Path]:
    """Drive the load, send `signum` after SIGNAL_AFTER legacy reads, let in-flight finish.

    (client load, seconds from the start to the signal, exit code, log, store)."""
    async with (
        faulty_server("ok") as legacy,
        faulty_server("ok") as candidate,
        proxy_process(tmp_path, legacy.url, candidate.url, shutdown_grace_s=5.0) as proxy,
    ):
        started = time.monotonic()

        async def signal_mid_load() -> tuple[float, int]:
            await after_reads(legacy, SIGNAL_AFTER)
            assert legacy.requests < REQUESTS, "the load ended before the signal"
            proxy.process.send_signal(signum)
            elapsed = time.monotonic() - started
            return elapsed, await asyncio.wait_for(proxy.process.wait(), 30)

        client, (elapsed, code) = await asyncio.gather(
            drive(proxy.url, "/load", REQUESTS, concurrency=CONCURRENCY), signal_mid_load()
        )
    return client, elapsed, code, proxy.output(), proxy.store


def load_row(
    fault: str, client: Load, baseline: Load | None, counts: tuple[int, int, int], note: str
) -> Row:
    """The fault table's row for `client`'s load, beside `baseline` (the same load before the
    fault, if any); `counts`: exchanges captured, dropped and served."""
    captured, dropped, served = counts
    return row(
        fault,
        latencies_ms=client.latencies_ms,
        success_pct=client.success(),
        baseline_ms=baseline.latencies_ms if baseline else None,
        captured=captured,
        dropped=dropped,
        served=served,
        note=note,
    )


# -- 1, 2: stop and kill mid-load ------------------------------------------------------------


async def test_sigterm_under_load_stores_every_served_exchange(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    client, _, code, log, store = await signalled_under_load(tmp_path, signal.SIGTERM)
    (counts,) = writer_counts(store).values()
    stored = exchanges(store)
    note = f"{client.statuses.count(200)} of {REQUESTS} answered before the stop"
    counted = (stored, dropped_in(counts), counts.get("served", 0))
    fault_table.add(load_row("SIGTERM mid-load (store)", client, None, counted, note))
    assert code == 0, log
    assert "Traceback" not in log, first_traceback(log)
    assert summary_line(log), log
    assert counts.get("served", 0) == stored >= client.statuses.count(200) >= SIGNAL_AFTER - 1
    assert counts.get("closed") == 1, counts
    info = store_info(open_store(store), [store])
    assert (info.lost, info.unclean) == (0, [])


async def test_sigkill_under_load_loses_at_most_one_flush(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    client, elapsed, code, _, store = await signalled_under_load(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    (writer, counts), *others = writer_counts(store).items()
    assert not others
    info = store_info(open_store(store), [store])
    stored, served = exchanges(store), counts.get("served", 0)
    note = f"store_info lost {info.lost}; counters at the last flush"
    counted = (stored, dropped_in(counts), served)
    fault_table.add(load_row("SIGKILL mid-load (store)", client, None, counted, note))
    assert [u.writer for u in info.unclean] == [writer]
    own = (
        counts.get("sampled", 0)
        - counts.get("stored", 0)
        - counts.get("duplicate", 0)
        - dropped_in(counts)
    )
    assert info.lost == info.unclean[0].lost == max(0, own)
    # What was handed over in about one flush (plus the mirror in flight) is all a kill loses.
    rate = served / max(elapsed, 0.1)
    assert info.lost <= rate * 1.0 + CONCURRENCY, (info.lost, rate)
    shown = twinsight("store", "info", "--store", str(store))
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stdout + shown.stderr
    assert "no clean shutdown recorded for writer" in shown.stdout + shown.stderr


# -- 3: a full disk, a lost segment folder -----------------------------------------------------


async def test_a_full_disk_never_reaches_the_client_and_is_counted(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    store = tmp_path / "capture.duckdb"
    async with (
        answer_server() as legacy,
        answer_server() as candidate,
        launch(tmp_path, legacy, candidate, {"path": str(store)}, file_limit=FILE_LIMIT) as proxy,
    ):
        baseline = await drive(proxy.url, "/baseline", 200, concurrency=8)
        await proxy.settle()
        await stored_at_least(proxy, 200)  # the queue empties before its batch is written
        # The disk fills up: no file of the proxy's grows past FULL bytes from now on.
        resource.prlimit(proxy.process.pid, resource.RLIMIT_FSIZE, (FULL, FULL))
        full = await drive(proxy.url, "/mid", 100, concurrency=8)
        state: tuple[int, dict[str, object]] = (200, {})
        deadline = time.monotonic() + 10
        while state[0] != 503 and time.monotonic() < deadline:
            state = await health(proxy)
            await asyncio.sleep(0.05)
        faulty = await drive(proxy.url, "/fault", 200, concurrency=8)
        before_stop = await proxy.metrics()
        served = int(before_stop["twinsight_served_total"])
        code = await proxy.stop()
        log = proxy.output()
    line, captured = summary_line(log), exchanges(store)
    dropped = int(line.split("dropped ")[1].split(",")[0]) if line else 0
    note = f"/health {state[0]}; {log.count(REFUSED)} dropped as store_error"
    kept = [f.name for f in segment_folder(store).glob("*.parquet")]
    counted = (captured, dropped, served)
    fault_table.add(
        load_row("disk full mid-run (RLIMIT_FSIZE 1 KiB)", faulty, baseline, counted, note)
    )
    assert full.success() == baseline.success() == faulty.success() == 100.0
    assert state[0] == 503, state
    assert state[1].get("status") == "failing", state
    assert state[1].get("reason"), state
    assert code == 0, log
    assert "Traceback" not in log, first_traceback(log)
    assert line, log
    assert dropped > 0, line
    assert f"stored {captured}," in line, (captured, line)
    # The disk was full, no exchange was at fault: none dropped as refused by the store
    # (dropped.store_error), while the disk was full nor at close.
    reasons = drop_reasons(before_stop)
    assert reasons.keys() <= {"store_backlog", "store_unavailable"}, reasons
    assert REFUSED not in log, first_line_with(log, REFUSED)
    # The file could not take them at the end either: what was written stays beside it,
    # said in one line, and read with it (`captured` counts it).
    assert kept, log
    assert f"its segments stay in {segment_folder(store)}" in log, log


async def test_a_removed_segment_folder_is_recreated_and_capture_goes_on(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    segments = tmp_path / "segments"
    async with (
        faulty_server("ok") as legacy,
        faulty_server("ok") as candidate,
        launch(tmp_path, legacy.url, candidate.url, {"segments": str(segments)}) as proxy,
    ):
        baseline = await drive(proxy.url, "/before", 100, concurrency=8)
        await proxy.settle()
        # A flush may land a file meanwhile: the folder is gone or going, as for a user.
        shutil.rmtree(segments, ignore_errors=True)
        faulty = await drive(proxy.url, "/after", 100, concurrency=8)
        counts = await proxy.settle()
        code = await proxy.stop()
        log = proxy.output()
    after = exchanges(None, segments, "/after/")
    note = f"dropped (all reasons) {sum(v for k, v in counts.items() if 'dropped' in k)}"
    fault_table.add(
        load_row("segment folder removed mid-run", faulty, baseline, (after, 0, 100), note)
    )
    assert faulty.success() == 100.0
    assert segments.is_dir()
    assert after == 100, after
    assert code == 0, log
    assert "Traceback" not in log, first_traceback(log)


# -- 4: a store held by another process --------------------------------------------------


def test_a_store_locked_by_another_process_is_one_line_and_exit_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked.duckdb"
    holding = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('held', flush=True); time.sleep(60)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holding, str(locked)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            ran = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "twinsight",
                    "proxy",
                    "--store",
                    str(locked),
                    "--legacy",
                    "http://127.0.0.1:9",
                    "--candidate",
                    "http://127.0.0.1:9",
                    "--listen",
                    "127.0.0.1:0",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            holder.kill()
    said = (ran.stdout + ran.stderr).strip()
    assert ran.returncode == 2, said
    assert "Traceback" not in said
    assert len(said.splitlines()) == 1, said
    assert "locked.duckdb" in said, said
    assert "another process holds it" in said, said


# -- 5: large answers with the default store -----------------------------------------------


async def large_then_small(
    tmp_path: Path,
    fault_table: FaultTable,
    label: str,
    large: tuple[str, int, int],
    **capture: object,
) -> tuple[int, float]:
    """`large` = (path, requests, concurrency) of large answers, then 300 small ones, through
    a proxy with `capture` settings; every client answered, nothing in the log; (exchanges
    stored, peak RSS MiB)."""
    path, count, concurrency = large
    async with (
        answer_server() as legacy,
        answer_server() as candidate,
        proxy_process(tmp_path, legacy, candidate, **capture) as proxy,
    ):
        big = await drive(proxy.url, path, count, concurrency=concurrency, timeout=60)
        small = await drive(proxy.url, "/small", 300, concurrency=20)
        counts = await proxy.settle()
        rss = proxy.peak_rss_mib()
        code = await proxy.stop()
        log = proxy.output()
    stored = exchanges(proxy.store)
    fault_table.add(
        row(
            label,
            latencies_ms=big.latencies_ms + small.latencies_ms,
            success_pct=(big.success() * count + small.success() * 300) / (count + 300),
            baseline_ms=small.latencies_ms,
            captured=stored,
            dropped=int(sum(v for k, v in counts.items() if k.startswith("twinsight_dropped"))),
            served=int(counts["twinsight_served_total"]),
            note=f"peak RSS {rss:.0f} MiB",
        )
    )
    assert big.success() == small.success() == 100.0
    assert code == 0, log
    assert "Traceback" not in log, first_traceback(log)
    return stored, rss


async def test_large_answers_are_all_stored(tmp_path: Path, fault_table: FaultTable) -> None:
    # Before: every flush failed with DuckDB's OutOfMemory and none of the 360 was stored.
    label = "60 x 1 MiB answers, then 300 small"
    stored, _ = await large_then_small(tmp_path, fault_table, label, ("/big", 60, 20))
    assert stored == 360, stored


async def test_a_50_mb_answer_is_stored_within_bounded_memory(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    label = "one 50 MB answer (max_body 100 MiB), then 300 small"
    stored, rss = await large_then_small(
        tmp_path, fault_table, label, ("/large", 1, 1), max_body=100 * MIB
    )
    assert stored == 301, stored
    assert rss < RSS_BOUND_MIB, rss
