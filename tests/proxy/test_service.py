"""`twinsight proxy` as a process: signals, flushing, redaction on disk, the example services."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.cli.run import twinsight
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.store import open_store

from .conftest import Start


async def test_sigterm_flushes_everything_captured(tmp_path: Path) -> None:
    legacy, legacy_port = await start(make_legacy())
    candidate, candidate_port = await start(make_candidate())
    store = tmp_path / "run.duckdb"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "twinsight",
        "proxy",
        "--legacy",
        f"http://127.0.0.1:{legacy_port}",
        "--candidate",
        f"http://127.0.0.1:{candidate_port}",
        "--listen",
        "127.0.0.1:0",
        "--store",
        str(store),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = (await asyncio.wait_for(process.stderr.readline(), 20)).decode()
        url = line.split()[4].rstrip(",")
        headers = {"Authorization": f"Bearer {make_token('alice')}"}
        async with aiohttp.ClientSession(url, headers=headers) as session:
            for _ in range(40):
                async with session.get("/tasks") as answer:
                    assert answer.status == 200
        process.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(process.stderr.read(), 20)).decode()
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await legacy.cleanup()
        await candidate.cleanup()
    assert "served 40, sampled 40, mirrored 40, stored 40, dropped 0" in rest
    db = open_store(store)
    assert db.execute("SELECT count(*) FROM exchanges").fetchone() == (40,)
    assert db.execute("SELECT count(*) FROM responses").fetchone() == (80,)


async def test_no_secret_reaches_the_store_file(capture: Start, tmp_path: Path) -> None:
    running = await capture(mirror_writes=True)
    secret = "zz-very-secret-bearer-token"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            running.url + "/items?access_token=zz-query-secret",
            headers={"Authorization": f"Bearer {secret}", "Cookie": "sid=zz-cookie-secret"},
            data=b"{}",
        ) as answer:
            assert answer.status == 201
        async with session.get(running.url + "/cookies") as answer:
            assert answer.status == 200
    await running.finish()
    raw = running.store.read_bytes()
    for needle in (secret, "zz-query-secret", "zz-cookie-secret", "abc123"):
        assert needle.encode() not in raw
    # the forwarded traffic was not altered
    assert running.seen("legacy")[0]["headers"]["Authorization"] == f"Bearer {secret}"


async def test_a_stateful_session_through_the_proxy_reaches_the_candidates_own_ids(
    capture: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "0")
    running = await capture(
        upstreams={"legacy": make_legacy(), "candidate": make_candidate()}, mirror_writes=True
    )
    headers = {"Authorization": f"Bearer {make_token('alice')}"}
    async with aiohttp.ClientSession(running.url, headers=headers) as session:
        async with session.post("/tasks", json={"title": "Buy groceries"}) as answer:
            task = await answer.json()
        for method, path, body in (
            ("PATCH", f"/tasks/{task['id']}", {"description": "milk"}),
            ("POST", f"/tasks/{task['id']}/complete", None),
            ("GET", f"/tasks/{task['id']}", None),
        ):
            async with session.request(method, path, json=body) as answer:
                assert answer.status == 200
    await running.finish()
    rows = running.rows(
        "SELECT e.method, e.path, r.status, r.body FROM exchanges e JOIN responses r "
        "ON r.exchange_id = e.id WHERE r.target = 'candidate' ORDER BY e.id"
    )
    assert [status for _, _, status, _ in rows] == [201, 200, 200, 200]  # no 404: ids correlated
    final = orjson.loads(rows[-1][3])
    assert (final["status"], final["description"]) == ("completed", "milk")
    # The pair learned from the create (once), and the three requests rewritten with it.
    assert running.rows("SELECT count(*) FROM correlations") == [(4,)]


def test_bad_flags_are_one_line_errors(tmp_path: Path) -> None:
    # Each invocation pays a Python start-up of its own: started together, they overlap.
    a, b, local = "http://127.0.0.1:1", "http://127.0.0.1:2", "10.0.0.1/8"
    missing, listen, target, url, trust = concurrently(
        tmp_path,
        ["--candidate", a],
        ["--legacy", a, "--candidate", b, "--listen", "nowhere"],
        ["--legacy", a, "--target", "oops"],
        ["--legacy", "not a url", "--candidate", b],
        ["--legacy", a, "--candidate", b, "--trust-forwarded", local],
    )
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == "error: no legacy target: pass --legacy URL (or set [targets] legacy)"
    )
    assert listen.returncode == 2
    assert "--listen 'nowhere'" in listen.stderr
    assert target.returncode == 2
    assert "--target 'oops': expected NAME=URL" in target.stderr
    assert url.returncode == 2
    assert "targets.legacy" in url.stderr
    assert trust.returncode == 2
    assert trust.stderr.count("\n") == 1
    assert "trust_forwarded" in trust.stderr


def concurrently(cwd: Path, *flags: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """`twinsight proxy FLAGS` for each of `flags`, all at once: each one's result, in order."""
    env = {**os.environ, "COLUMNS": "200"}
    with ThreadPoolExecutor(len(flags)) as pool:
        return list(pool.map(lambda args: twinsight("proxy", *args, cwd=cwd, env=env), flags))
