"""Kinto, a real open-source JSON HTTP service, in two published versions, on 127.0.0.1.

Each version is installed from PyPI once into its own virtual environment under
`.bench-cache/` at the top of the repository (ignored by git); later runs reuse it.
An instance runs `kinto start` with in-memory storage, cache and permissions and
HTTP basic auth (no database server), on a free port, in its own process group,
and is stopped (terminated, then killed) when its context ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

CACHE = Path(__file__).resolve().parent.parent / ".bench-cache"
VERSIONS = ("14.8.0", "26.5.0")
"""Legacy and candidate: a 2021 release and the newest one at the time of writing."""
REQUIREMENTS = {
    # pyramid_multiauth 1.1 (2024) no longer authenticates kinto 14's basic auth users:
    # pin the release of its time.
    "14.8.0": ("kinto==14.8.0", "pyramid_multiauth==1.0.1"),
    "26.5.0": ("kinto==26.5.0",),
}
INSTALL_TIMEOUT_S = 600.0
_QUICK = ("--disable-pip-version-check", "--retries", "1", "--timeout", "20")
"""Offline, pip gives up in seconds rather than retrying for minutes."""
START_TIMEOUT_S = 60.0

INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.memory
kinto.cache_backend = kinto.core.cache.memory
kinto.permission_backend = kinto.core.permission.memory
kinto.userid_hmac_secret = twinsight-bench
multiauth.policies = basicauth
multiauth.policy.basicauth.use = kinto.core.authentication.BasicAuthAuthenticationPolicy
kinto.bucket_create_principals = system.Authenticated

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = %(http_port)s
"""


class NotInstalled(RuntimeError):
    """A version could not be installed (offline, or the registry refused)."""


def kinto_program(version: str) -> Path:
    """The `kinto` program of `version`, installed on first use (NotInstalled if it fails)."""
    venv = CACHE / f"kinto-{version}"
    program = venv / "bin" / "kinto"
    wanted = " ".join(REQUIREMENTS[version]) + "\n"
    marker = venv / ".installed"
    if marker.exists() and marker.read_text() == wanted:
        return program
    CACHE.mkdir(exist_ok=True)
    steps = {
        "venv": [sys.executable, "-m", "venv", "--clear", str(venv)],
        "pip install": [str(venv / "bin" / "pip"), "install", "-q", *_QUICK, *wanted.split()],
    }
    for name, step in steps.items():
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            raise NotInstalled(f"kinto {version}: {name} timed out") from error
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise NotInstalled(f"kinto {version}: {name} failed: {last}")
    marker.write_text(wanted)
    return program


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def kinto_instance(version: str) -> AsyncIterator[str]:
    """A fresh, empty Kinto `version` on a free port: its base URL, while the context lasts."""
    program = kinto_program(version)
    with tempfile.TemporaryDirectory(prefix="bench-kinto-") as scratch:
        ini = Path(scratch) / "kinto.ini"
        ini.write_text(INI)
        port = free_port()
        with (Path(scratch) / "kinto.log").open("wb") as log:
            process = subprocess.Popen(
                [str(program), "start", "--ini", str(ini), "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=scratch,
                start_new_session=True,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                await _wait_ready(base, process)
                yield base
            finally:
                _stop(process)


async def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        while asyncio.get_running_loop().time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"kinto exited with {process.returncode} before answering")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with client.get(f"{base}/v1/__lbheartbeat__") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"kinto did not answer on {base} within {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in its own session: its group id is its pid.
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)
