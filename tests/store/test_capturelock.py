"""A capture's lock on a store's segment folder, in one process and across them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from twinsight.errors import StoreError
from twinsight.store import segment_folder
from twinsight.store.capturelock import LOCK_NAME, capture_holds, refuse_if_held, segments_held


def test_a_held_folder_refuses_a_second_holder_and_a_lone_capture(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with segments_held(store) as held:
        assert held.folder == segment_folder(store)
        assert (held.folder / LOCK_NAME).exists()
        busy = rf"^{re.escape(str(store))}: another twinsight capture"
        with pytest.raises(StoreError, match=busy), segments_held(store):
            pass
        with pytest.raises(StoreError, match=busy):
            refuse_if_held(store)
        assert capture_holds(store)
    refuse_if_held(store)  # released
    assert not capture_holds(store)
    assert not segment_folder(store).exists()  # the lock file and the empty folder removed


def test_leftover_segments_keep_the_folder_not_the_lock(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with segments_held(store) as held:
        (held.folder / "exchanges-left.parquet").write_bytes(b"")
    assert [p.name for p in segment_folder(store).iterdir()] == ["exchanges-left.parquet"]
    with segments_held(store):  # and the next run takes it again
        pass


def test_no_folder_is_no_run(tmp_path: Path) -> None:
    refuse_if_held(tmp_path / "capture.duckdb")
    assert not capture_holds(tmp_path / "capture.duckdb")
    assert not segment_folder(tmp_path / "capture.duckdb").exists()  # nothing made by looking


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    holder = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from twinsight.store.capturelock import segments_held
        with segments_held(Path({str(store)!r})):
            print("held", flush=True)
            time.sleep(60)
    """)
    argv = [sys.executable, "-c", holder]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "held"
            with pytest.raises(StoreError):
                refuse_if_held(store)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
    assert (segment_folder(store) / LOCK_NAME).exists()  # the file stays, unlocked
    refuse_if_held(store)
    with segments_held(store):
        pass


def test_a_child_given_the_lock_holds_it_after_its_parent_is_killed(tmp_path: Path) -> None:
    # Workers outlive a SIGKILLed parent while they flush: a new run must wait for them.
    store = tmp_path / "capture.duckdb"
    parent = textwrap.dedent(f"""
        import multiprocessing, time
        from pathlib import Path
        from twinsight.store.capturelock import segments_held

        def child(lock, ready):
            ready.set()
            time.sleep(60)

        if __name__ == "__main__":
            spawn = multiprocessing.get_context("spawn")
            with segments_held(Path({str(store)!r})) as held:
                ready = spawn.Event()
                worker = spawn.Process(target=child, args=(held.for_child(), ready))
                worker.start()
                ready.wait(30)
                print(worker.pid, flush=True)
                time.sleep(60)
    """)
    script = tmp_path / "parent.py"
    script.write_text(parent)
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None
        child = int(p.stdout.readline())
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    try:
        with pytest.raises(StoreError, match="another twinsight capture"):
            refuse_if_held(store)
        with pytest.raises(StoreError, match="another twinsight capture"), segments_held(store):
            pass
    finally:
        os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    refuse_if_held(store)  # the last holder gone, the lock is free
    with segments_held(store):
        pass


def test_a_lock_file_this_user_cannot_open_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    segment_folder(store).mkdir()
    # A link to itself: open fails (ELOOP), as for a file of another user (root reads all).
    (segment_folder(store) / LOCK_NAME).symlink_to(LOCK_NAME)
    refused = rf"^{re.escape(str(store))}: cannot lock .*: Too many levels of symbolic links$"
    with pytest.raises(StoreError, match=refused):
        refuse_if_held(store)
    with pytest.raises(StoreError, match=refused), segments_held(store):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
