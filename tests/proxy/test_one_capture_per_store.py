"""Two captures into one store file, as real `twinsight` processes: the second is refused in
one line naming the file, whichever starts first and whether it runs `--workers` or not;
the lock ends with the run, and with a SIGKILLed run too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli.run import twinsight
from twinsight.store import segment_folder
from twinsight.store.capturelock import refuse_if_held

TARGETS = ("--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9")
WORKERS = ("--workers", "2")
_START_S = 90.0


def capture_args(command: str, store: Path, *more: str) -> list[str]:
    """`twinsight COMMAND` into `store`, listening on a free port."""
    return [command, *TARGETS, "--store", str(store), "--listen", "127.0.0.1:0", *more]


@contextmanager
def running(store: Path, *more: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `twinsight proxy` into `store`, once it says it listens; SIGTERM at the end."""
    log = store.with_name(f"{store.name}.{time.monotonic_ns()}.log")
    argv = [sys.executable, "-m", "twinsight", *capture_args("proxy", store, *more)]
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stderr=sink)
    try:
        deadline = time.monotonic() + _START_S
        while "listening on" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(60)


def refused(args: list[str], because: str) -> None:
    ran = twinsight(*args, timeout=120)
    assert "Traceback" not in ran.stderr, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith(f"error: {because}"), ran.stderr
    assert ran.returncode == 2


def test_a_workers_run_refuses_any_second_capture_into_its_file(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    busy = f"{store}: another twinsight capture or replay writes into it"
    with running(store, *WORKERS) as first:
        refused(capture_args("proxy", store, *WORKERS), busy)
        refused(capture_args("proxy", store), busy)
        refused(capture_args("sink", store), busy)
        assert first.poll() is None  # untouched by the refused ones
    assert first.returncode == 0
    refuse_if_held(store)  # released on exit
    assert not segment_folder(store).exists()


def test_a_lone_capture_refuses_any_second_capture_into_its_file(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    busy = f"{store}: another twinsight capture or replay writes into it"
    with running(store) as first:
        refused(capture_args("proxy", store, *WORKERS), busy)
        refused(capture_args("sink", store), busy)
        assert first.poll() is None
    assert first.returncode == 0
    refuse_if_held(store)
    assert not segment_folder(store).exists()


def test_a_killed_workers_run_leaves_no_lock_and_its_workers_stop(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with running(store, *WORKERS) as first:
        workers = children(first.pid)
        assert len(workers) == 2
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    try:
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers):  # they flush and stop on their own
            assert time.monotonic() < deadline, "a killed run's workers went on"
            time.sleep(0.1)
    finally:
        for pid in workers:  # none left behind by a failing run
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with running(store, *WORKERS) as second:
        assert second.poll() is None
    assert second.returncode == 0


def children(pid: int) -> list[int]:
    """The worker processes of a `--workers` parent (its spawned children, not the tracker)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in found
        if b"multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie counts as gone: it only waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
