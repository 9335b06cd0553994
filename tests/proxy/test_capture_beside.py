"""A lone `twinsight proxy --store FILE`, as a real process, writes Parquet segments beside
FILE and absorbs them when it stops: what it flushed is readable with FILE while it runs
and after it is killed, and the next capture into FILE absorbs what a killed one left."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.proxy.test_one_capture_per_store import capture_args
from twinsight.report.store import store_info_lines
from twinsight.store import Store, open_store, segment_folder

_WITHIN_S = 90.0


@contextmanager
def lone_capture(store: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`twinsight proxy --store store` and its URL once it listens; SIGTERM at the end."""
    log = store.with_name(f"{store.name}.{time.monotonic_ns()}.log")
    argv = [sys.executable, "-m", "twinsight", *capture_args("proxy", store)]
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stderr=sink)
    try:
        yield process, _listening(process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(60)


def _listening(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + _WITHIN_S
    while "listening on " not in (text := log.read_text()):
        assert process.poll() is None, text
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    return text.split("listening on ", 1)[1].split(",")[0].split()[0]


def send(url: str, count: int) -> None:
    """`count` requests (the legacy is unreachable: each is answered 502, and captured)."""
    for i in range(count):
        with pytest.raises(urllib.error.HTTPError, match="502"):
            urllib.request.urlopen(f"{url}/items/{i}", timeout=10).close()


def read(store: Path) -> int:
    """Exchanges a reader of `store` finds (the segments beside it included)."""
    with open_store(store) as connection:
        found = connection.execute("SELECT count(*) FROM exchanges").fetchone()
    return int(found[0]) if found else 0


def info_lines(store: Path) -> list[str]:
    """What `twinsight store info` says of `store`."""
    with Store.open(store) as opened:
        return store_info_lines(opened.info())


def in_file(store: Path) -> int:
    """Exchanges in the file itself."""
    with duckdb.connect(str(store), read_only=True) as connection:
        found = connection.execute("SELECT count(*) FROM exchanges").fetchone()
    return int(found[0]) if found else 0


def read_soon(store: Path, count: int) -> None:
    deadline = time.monotonic() + _WITHIN_S
    while read(store) < count:
        assert time.monotonic() < deadline, f"fewer than {count} exchanges readable"
        time.sleep(0.2)


def test_a_lone_capture_is_readable_while_it_runs_and_absorbed_at_its_stop(
    tmp_path: Path,
) -> None:
    store = tmp_path / "capture.duckdb"
    with lone_capture(store) as (process, url):
        send(url, 5)
        read_soon(store, 5)  # the capture does not hold the file: readers open it meanwhile
        assert any(segment_folder(store).glob("*.parquet"))
        shown = info_lines(store)
        writing = "a capture or replay is writing into this store now"
        assert any(writing in line for line in shown), shown
    assert process.returncode == 0
    assert not segment_folder(store).exists()
    assert in_file(store) == read(store) == 5
    assert not any("a capture or replay is writing" in line for line in info_lines(store))


def test_what_a_killed_capture_flushed_is_read_and_absorbed_by_the_next(tmp_path: Path) -> None:
    store = tmp_path / "capture.duckdb"
    with lone_capture(store) as (process, url):
        send(url, 4)
        read_soon(store, 4)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert read(store) == 4  # beside the file, not in it, and not out of sight
    assert in_file(store) == 0
    with lone_capture(store) as (again, _):
        assert in_file(store) == 4  # absorbed at the start
    assert again.returncode == 0
    assert not segment_folder(store).exists()
