"""A process that loads the `twinsight` command once, then forks a copy of itself for each
run the tests ask of it (the zygote of Android, the fork server of multiprocessing).

Each run is still a process of its own: its own exit code, output, folder, environment and
children, ended by Python's own exit (atexit, flushes). What it no longer pays is Python's
start and the command's imports: 0.2-1.4 s a run (`--version` 0.38 -> 0.15 s, `ready` on
a small store 2.06 -> 0.68 s), some 300 runs a suite, on a CPU-bound suite.
`tests.cli.run` starts one per test process:

    python zygote.py SOCKET

and exits with its parent. A run asks by connecting to SOCKET: an 8-byte length with its
stdin, stdout and stderr attached (SCM_RIGHTS), then that many bytes of JSON (args, cwd,
env). The answer: the run's pid, then its exit code (negative: the signal), 8 bytes each.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import runpy
import socket
import struct
import sys
import warnings
from typing import Any

# What the runs import, the heavy parts first. Some start threads as they load (pyarrow:
# jemalloc's and Arrow's pools; scipy: its BLAS pool); a fork copies none of them, and each
# makes its threads again in the child (their at-fork handlers), as a run then does.
PRELOADED = (
    "twinsight.cli.app",
    "pyarrow",
    "pyarrow.parquet",
    "pyarrow.compute",
    "duckdb",
    "aiohttp",
    "jinja2",
    "cel",
    "hypothesis",
    "twinsight.store",
    "twinsight.analysis.service",
    "twinsight.analysis.constraints",
    "twinsight.explore.search",
    "twinsight.proxy.service",
    "twinsight.replay.service",
    "twinsight.report.html",
)
WORD = struct.Struct("!q")


def preload() -> None:
    for name in PRELOADED:
        with contextlib.suppress(ImportError):  # an extra not installed: the run says so
            __import__(name)
    # Out of the collector's sight: a run's collections and its exit would otherwise touch
    # every loaded object, copying the zygote's memory page by page (0.3 s a run).
    gc.freeze()


def serve(path: str) -> socket.socket:
    """Fork a runner per connection until the parent is gone; return in the runner."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:
        reap()
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with warnings.catch_warnings():
            # Python 3.12+ warns of a fork beside threads: see PRELOADED.
            warnings.simplefilter("ignore", DeprecationWarning)
            forked = os.fork()
        if forked == 0:
            listener.close()
            connection.settimeout(None)
            return connection
        connection.close()
    sys.exit(0)


def reap() -> None:
    """Collect the runners that have finished (each waits for its own run)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass
    except ChildProcessError:
        pass


def receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    head, fds, _, _ = socket.recv_fds(connection, WORD.size, 3)
    head += exactly(connection, WORD.size - len(head))
    (size,) = WORD.unpack(head)
    request: dict[str, Any] = json.loads(exactly(connection, size))
    return request, fds


def exactly(connection: socket.socket, size: int) -> bytes:
    """`size` bytes from `connection`; ConnectionError if the other end goes first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the other end of the zygote's socket went before answering")
        data += chunk
    return data


def runner(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """Fork the run, tell its pid and, once it ends, its exit code; return in the run."""
    try:
        request, fds = receive(connection)
    except ConnectionError:  # the asking test is gone before it asked in full
        os._exit(1)
    pid = os.fork()
    if pid == 0:
        connection.close()
        return request, fds
    for fd in fds:
        os.close(fd)
    _tell(connection, pid)
    _, status = os.waitpid(pid, 0)
    _tell(connection, os.waitstatus_to_exitcode(status))
    os._exit(0)


def _tell(connection: socket.socket, number: int) -> None:
    # The asking test may be gone: its time ran out, and it killed the run itself.
    with contextlib.suppress(OSError):
        connection.sendall(WORD.pack(number))


def run(request: dict[str, Any], fds: list[int]) -> None:
    """Become `python -m twinsight ARGS` in the run's folder and environment."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    sys.argv = ["-m", *request["args"]]
    runpy.run_module("twinsight", run_name="__main__", alter_sys=True)


def main() -> None:
    path = sys.argv[1]
    sys.path[0] = os.getcwd()  # not this file's folder
    preload()
    connection = serve(path)
    request, fds = runner(connection)
    run(request, fds)


if __name__ == "__main__":
    main()
