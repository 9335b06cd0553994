"""Running the `twinsight` command as a user does: a real process, its exit code and output.

Each run is a process of its own, forked from a zygote (`tests/cli/zygote.py`) that loaded
the command once, so the suite does not pay Python's start-up and the command's imports
for each of its hundreds of runs. A run that needs a fresh interpreter (`fresh=True`:
one that compares runs with each other, whose hash seed must differ as real runs' do), an
environment that changes how Python starts (PYTHON*, the locale), or TWINSIGHT_TESTS_FRESH=1
in the environment, starts `python -m twinsight` itself. A forked run's memory counts the
zygote's pages it maps and its CPU goes to the zygote's account, not the test's: a test that
bounds a command's memory or time starts the process itself (`tests/faults/test_readers.py`).
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from tests.cli.zygote import WORD, exactly

__all__ = ["twinsight"]

_lock = threading.Lock()
_zygote: tuple[subprocess.Popen[bytes], str] | None = None
_failed = False


def twinsight(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`python -m twinsight ARGS`, its output captured as text; a failing exit does not raise."""
    argv = [sys.executable, "-m", "twinsight", *args]
    environment = dict(os.environ if env is None else env)
    path = None if fresh or _starts_differently(environment) else _socket()
    if path is None:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
        )
    request = {"args": list(args), "cwd": os.path.abspath(cwd or os.getcwd()), "env": environment}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            code = _forked(path, request, (out.fileno(), err.fileno()), timeout)
        except TimeoutError:  # killed: raised with what it said, bytes as `subprocess.run` does
            raise subprocess.TimeoutExpired(argv, timeout, _said(out), _said(err)) from None
        return subprocess.CompletedProcess(argv, code, _text(out), _text(err))


def _starts_differently(environment: Mapping[str, str]) -> bool:
    """Whether a process started with `environment` would start otherwise than the zygote
    (what Python reads as it starts: PYTHON* and the locale)."""
    keys = {k for k in {*environment, *os.environ} if k.startswith(("PYTHON", "LC_", "LANG"))}
    different = any(environment.get(k) != os.environ.get(k) for k in keys)
    return different or os.environ.get("TWINSIGHT_TESTS_FRESH") == "1"


def _forked(path: str, request: dict[str, object], outputs: tuple[int, int], timeout: float) -> int:
    """The exit code of the run `request` asks of the zygote at `path`; killed, and
    TimeoutError, past `timeout` seconds."""
    body = json.dumps(request).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as asking, open(os.devnull) as stdin:
        asking.connect(path)
        socket.send_fds(asking, [WORD.pack(len(body))], [stdin.fileno(), *outputs])
        asking.sendall(body)
        asking.settimeout(timeout)
        (pid,) = WORD.unpack(exactly(asking, WORD.size))
        try:
            (code,) = WORD.unpack(exactly(asking, WORD.size))
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            asking.settimeout(None)
            exactly(asking, WORD.size)  # gone, as `subprocess.run` waits for it to be
            raise
    return int(code)


def _said(file: IO[bytes]) -> bytes:
    file.seek(0)
    return file.read()


def _text(file: IO[bytes]) -> str:
    """What `subprocess.run(text=True)` makes of the bytes: the locale's encoding,
    universal newlines."""
    text = _said(file).decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _socket() -> str | None:
    """The socket of this process's zygote, started on first use; None if it cannot be."""
    global _zygote, _failed
    with _lock:
        if _zygote is None and not _failed:
            _zygote = _start()
            _failed = _zygote is None
        return None if _zygote is None else _zygote[1]


def _start() -> tuple[subprocess.Popen[bytes], str] | None:
    folder = tempfile.mkdtemp(prefix="twinsight-zygote-")
    path = os.path.join(folder, "socket")
    zygote = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("zygote.py")), path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    assert zygote.stdout is not None
    said = zygote.stdout.readline().decode().strip()
    atexit.register(_stop, zygote, folder)
    if said != "ready":
        return None
    return zygote, path


def _stop(zygote: subprocess.Popen[bytes], folder: str) -> None:
    zygote.kill()
    zygote.wait()
    shutil.rmtree(folder, ignore_errors=True)
