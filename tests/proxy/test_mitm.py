"""The mitmproxy addon, loaded by a real mitmdump in reverse mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import orjson

from twinsight.examples.tasks.serve import start
from twinsight.store import open_store

from .upstream import SEEN, make_upstream

MITMDUMP = Path(sys.executable).parent / "mitmdump"
ADDON = Path(__file__).parents[2] / "twinsight" / "proxy" / "mitm.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_mitmdump_records_and_mirrors_flows(tmp_path: Path) -> None:
    legacy_app, candidate_app = make_upstream("legacy"), make_upstream("candidate")
    legacy, legacy_port = await start(legacy_app)
    candidate, candidate_port = await start(candidate_app)
    port, store = free_port(), tmp_path / "mitm.duckdb"
    process = await asyncio.create_subprocess_exec(
        str(MITMDUMP),
        "--mode",
        f"reverse:http://127.0.0.1:{legacy_port}",
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        str(port),
        "--set",
        f"confdir={tmp_path / 'conf'}",
        "-q",
        "-s",
        str(ADDON),
        "--set",
        f"twinsight_candidate=http://127.0.0.1:{candidate_port}",
        "--set",
        f"twinsight_store={store}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as client:
            for _ in range(200):  # until mitmdump listens
                try:
                    async with client.get("/echo/ready"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            for i in range(5):
                async with client.get(f"/echo/{i}?q={i}") as answer:
                    assert (await answer.json())["served_by"] == "legacy"
            async with client.post("/items", data=b"{}") as answer:
                assert answer.status == 201
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        errors = (await asyncio.wait_for(process.stderr.read(), 30)).decode()
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await legacy.cleanup()
        await candidate.cleanup()
    assert "Traceback" not in errors, errors
    db = open_store(store)
    rows = db.execute(
        "SELECT e.method, e.path, e.query, r.target, r.status, r.body FROM exchanges e "
        "JOIN responses r ON r.exchange_id = e.id WHERE e.path LIKE '/echo/_' "
        "ORDER BY e.id, r.target"
    ).fetchall()
    assert len(rows) == 10
    assert {(r[1], r[3], orjson.loads(r[5])["served_by"]) for r in rows} == {
        (f"/echo/{i}", t, t) for i in range(5) for t in ("legacy", "candidate")
    }
    # a write without twinsight_mirror_writes: stored with the legacy's answer only
    assert db.execute(
        "SELECT r.target, r.status FROM exchanges e JOIN responses r ON r.exchange_id = e.id "
        "WHERE e.method = 'POST'"
    ).fetchall() == [("legacy", 201)]
    assert [s["path"] for s in candidate_app[SEEN] if s["method"] == "POST"] == []
    assert os.path.getsize(store) > 0
