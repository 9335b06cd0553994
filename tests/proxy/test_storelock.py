"""The `--workers` run's lock on a store's segment folder, in one process and across them."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from twinsight.errors import StoreError
from twinsight.proxy.storelock import LOCK_NAME, refuse_if_held, segment_folder, segments_held


def test_a_held_folder_refuses_a_second_holder_and_a_lone_capture(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with segments_held(store) as folder:
        assert folder == segment_folder(store)
        assert (folder / LOCK_NAME).exists()
        busy = rf"^{re.escape(str(store))}: another twinsight capture"
        with pytest.raises(StoreError, match=busy), segments_held(store):
            pass
        with pytest.raises(StoreError, match=busy):
            refuse_if_held(store)
    refuse_if_held(store)  # released
    assert not segment_folder(store).exists()  # the lock file and the empty folder removed


def test_leftover_segments_keep_the_folder_not_the_lock(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with segments_held(store) as folder:
        (folder / "exchanges-left.parquet").write_bytes(b"")
    assert [p.name for p in segment_folder(store).iterdir()] == ["exchanges-left.parquet"]
    with segments_held(store):  # and the next run takes it again
        pass


def test_no_folder_is_no_run(tmp_path: Path) -> None:
    refuse_if_held(tmp_path / "capture.duckdb")
    assert not segment_folder(tmp_path / "capture.duckdb").exists()  # nothing made by looking


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    holder = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from twinsight.proxy.storelock import segments_held
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
