"""The mitmproxy addon, loaded by a real mitmdump in reverse mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import orjson

from twinsight.proxy.mitm import addon_config
from twinsight.store import open_store

from .upstream import SEEN, make_upstream, process, serving

MITMDUMP = Path(sys.executable).parent / "mitmdump"
ADDON = Path(__file__).parents[2] / "twinsight" / "proxy" / "mitm.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def mitmdump(
    tmp_path: Path, legacy: int, candidate: int, *settings: str
) -> AsyncIterator[aiohttp.ClientSession]:
    """mitmdump with the addon in front of `legacy`, mirroring to `candidate`, and a client of
    it; stopped with SIGINT at the end, with no traceback on its stderr."""
    port = free_port()
    command = [str(MITMDUMP), "--mode", f"reverse:http://127.0.0.1:{legacy}"]
    command += ["--listen-host", "127.0.0.1", "--listen-port", str(port), "-q", "-s", str(ADDON)]
    for setting in (f"confdir={tmp_path / 'conf'}", *settings):
        command += ["--set", setting]
    command += ["--set", f"twinsight_candidate=http://127.0.0.1:{candidate}"]
    async with process(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    ) as running:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as client:
            for _ in range(200):  # until mitmdump listens
                try:
                    async with client.get("/echo/ready"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            yield client
        await asyncio.sleep(0.3)
        running.send_signal(signal.SIGINT)
        assert running.stderr is not None
        errors = (await asyncio.wait_for(running.stderr.read(), 30)).decode()
        await asyncio.wait_for(running.wait(), 30)
    assert "Traceback" not in errors, errors


async def test_mitmdump_records_and_mirrors_flows(tmp_path: Path) -> None:
    legacy_app, candidate_app = make_upstream("legacy"), make_upstream("candidate")
    store = tmp_path / "mitm.duckdb"
    async with (
        serving(legacy_app, candidate_app) as (legacy, candidate),
        mitmdump(tmp_path, legacy, candidate, f"twinsight_store={store}") as client,
    ):
        for i in range(5):
            async with client.get(f"/echo/{i}?q={i}") as answer:
                assert (await answer.json())["served_by"] == "legacy"
        async with client.post("/items", data=b"{}") as answer:
            assert answer.status == 201
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
    # Every answer says when its request left, the legacy's too: windows start there.
    assert db.execute(
        "SELECT count(*) FROM responses r JOIN exchanges e ON r.exchange_id = e.id "
        "WHERE r.sent_at IS NULL OR r.sent_at < e.ts - INTERVAL 1 SECOND"
    ).fetchall() == [(0,)]


async def test_mitmdump_redacts_as_the_config_file_says(tmp_path: Path) -> None:
    store, config = tmp_path / "mitm.duckdb", tmp_path / "twinsight.toml"
    config.write_text(
        f'[store]\npath = "{store}"\n\n'
        '[redaction]\nheaders = ["X-Tenant"]\nquery_params = ["tenant"]\n',
        encoding="utf-8",
    )
    candidate_app = make_upstream("candidate")
    async with (
        serving(make_upstream("legacy"), candidate_app) as (legacy, candidate),
        mitmdump(tmp_path, legacy, candidate, f"twinsight_config={config}") as client,
    ):
        headers = {"X-Tenant": "zz-tenant-acme"}
        async with client.get("/echo/1?tenant=zz-tenant-query", headers=headers) as answer:
            assert answer.status == 200
    # forwarded traffic is never altered: the candidate got the values themselves
    assert candidate_app[SEEN][-1]["headers"]["X-Tenant"] == "zz-tenant-acme"
    assert b"zz-tenant-acme" not in store.read_bytes()  # (the echoed path holds the query)
    db = open_store(store)
    [(query, headers)] = db.execute(
        "SELECT query, request_headers FROM exchanges WHERE path = '/echo/1'"
    ).fetchall()
    assert query.startswith("tenant=%3Credacted%3A")
    assert [h["value"][:10] for h in headers if h["name"] == "X-Tenant"] == ["<redacted:"]


def test_options_left_at_their_defaults_leave_the_config_file_alone(tmp_path: Path) -> None:
    config = tmp_path / "twinsight.toml"
    config.write_text(
        '[targets]\ncandidate = "http://127.0.0.1:1"\n\n'
        "[capture]\nmirror_writes = true\nmirror_timeout_s = 2.0\nsample = 0.5\n",
        encoding="utf-8",
    )
    options = SimpleNamespace(
        twinsight_config=str(config),
        twinsight_candidate="",
        twinsight_replica="http://127.0.0.1:2",
        twinsight_store="",
        twinsight_segments=str(tmp_path / "segments"),
        twinsight_mirror_writes=False,
        twinsight_mirror_timeout=5.0,
        twinsight_max_body=100,
    )
    settings = addon_config(options)
    assert {name: str(url) for name, url in settings.targets.items()} == {
        "candidate": "http://127.0.0.1:1/",
        "replica": "http://127.0.0.1:2/",
    }
    capture = settings.capture
    assert (capture.mirror_writes, capture.mirror_timeout_s, capture.sample) == (True, 2.0, 0.5)
    assert capture.max_body == 100
    assert settings.store.locations() == (None, tmp_path / "segments")


def test_a_setting_error_stops_mitmdump_with_one_line(tmp_path: Path) -> None:
    # No candidate to mirror to: a user error, said on one line, not a traceback.
    command = [str(MITMDUMP), "--mode", "reverse:http://127.0.0.1:9", "--listen-host"]
    command += ["127.0.0.1", "--listen-port", str(free_port()), "-s", str(ADDON)]
    command += ["--set", f"confdir={tmp_path / 'conf'}"]
    command += ["--set", f"twinsight_store={tmp_path / 's.duckdb'}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "twinsight: nothing to compare with: --set twinsight_candidate=URL" in said
    assert "Traceback" not in said, said
