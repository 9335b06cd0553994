"""The nginx mirror configuration in deploy/, run for real in front of the example legacy."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest

from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start

from .conftest import Start
from .upstream import make_upstream

DEPLOYED = Path(__file__).parents[2] / "deploy" / "nginx" / "twinsight-mirror.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"),
    reason="nginx is not installed (.ci/run installs it; apt-get install nginx)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_conf(folder: Path, legacy: int, sink: int, listen: int) -> Path:
    site = DEPLOYED.read_text(encoding="utf-8")
    for default, port in (("8081", legacy), ("8090", sink), ("8080", listen)):
        site = site.replace(f"127.0.0.1:{default};", f"127.0.0.1:{port};")
    (folder / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include {folder}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


async def test_nginx_mirrors_to_the_sink(capture: Start, tmp_path: Path) -> None:
    assert NGINX is not None, "nginx must be installed in CI"
    legacy_runner, legacy_port = await start(make_legacy())
    running = await capture(
        "sink", upstreams={"legacy": make_legacy(), "candidate": make_upstream("candidate")}
    )
    sink_port = int(running.url.rsplit(":", 1)[1])
    listen = free_port()
    conf = nginx_conf(tmp_path, legacy_port, sink_port, listen)
    check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        headers = {"Authorization": f"Bearer {make_token('alice')}"}
        async with aiohttp.ClientSession(f"http://127.0.0.1:{listen}", headers=headers) as client:
            for _ in range(100):  # until nginx listens
                try:
                    async with client.get("/health") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            for _ in range(5):
                async with client.get("/tasks") as answer:
                    assert answer.status == 200  # answered by the legacy through nginx
                    assert (await answer.json())["count"] == 0
        await asyncio.sleep(0.5)
    finally:
        nginx.terminate()
        nginx.wait(10)
        await legacy_runner.cleanup()
    summary = await running.finish()
    assert summary.counts["stored"] >= 6
    rows = running.rows("SELECT path, source FROM exchanges WHERE path = '/tasks'")
    assert rows == [("/tasks", "sink")] * 5
    assert running.rows(
        "SELECT DISTINCT r.target, r.status FROM responses r JOIN exchanges e "
        "ON e.id = r.exchange_id WHERE e.path = '/tasks' ORDER BY 1"
    ) == [("candidate", 200), ("legacy", 200)]
    forwarded = running.rows("SELECT request_headers FROM exchanges LIMIT 1")[0][0]
    assert {"name": "X-Forwarded-For", "value": "127.0.0.1"} in forwarded
