"""Huge, cut and hostile capture files through `twinsight import`, as a user runs it.

Each import is a process of its own, so its time and peak memory are its own
(`os.wait4` gives the child's peak RSS). The outcome is always a success with
skips counted, or exit 2 with one line naming the file; never a traceback, and a
refused import leaves the store as it was.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import twinsight
from twinsight.replay.formats.goreplay import SEPARATOR
from twinsight.store import open_store

_PACKAGE_ROOT = Path(twinsight.__file__).resolve().parents[1]
_TIMEOUT_S = 60.0
# What a huge body may add to the peak of a tiny import (the store keeps 1 MiB of it).
_HEADROOM_MB = 100.0


@dataclass(frozen=True)
class Run:
    """How an import process ended."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_import(*args: str, cwd: Path, timeout: float = _TIMEOUT_S, max_gb: int = 0) -> Run:
    """`twinsight import ARGS` in a child process, killed after `timeout`; `max_gb` caps its
    address space (a reader that would take all the machine's memory fails instead)."""
    env = {**os.environ, "PYTHONPATH": str(_PACKAGE_ROOT)}  # the twinsight under test

    def limit() -> None:
        if max_gb:
            resource.setrlimit(resource.RLIMIT_AS, (max_gb << 30, max_gb << 30))

    out, err = cwd / "import.out", cwd / "import.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "twinsight", "import", *args],
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            env=env,
            preexec_fn=limit,
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        process.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        time.monotonic() - started,
        usage.ru_maxrss / 1024,  # KiB on Linux
    )


def exchanges_in(store: Path) -> int:
    """How many exchanges the store holds (0 if there is none yet)."""
    if not store.exists():
        return 0
    connection = open_store(store)
    try:
        row = connection.execute("SELECT count(*) FROM exchanges").fetchone()
    finally:
        connection.close()
    return int(row[0]) if row else 0


def assert_clean(run: Run, path: Path) -> None:
    """Success, or exit 2 with one line naming `path`; never a traceback or a kill."""
    assert run.returncode in (0, 2), f"exit {run.returncode}: {run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr
    if run.returncode == 2:
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert str(path) in lines[0]
    else:
        assert f"{path}: read " in run.stdout


# ---------------------------------------------------------------- big files


def _har_entry(url: str, content: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "startedDateTime": "2026-11-20T10:00:00Z",
        "request": {"method": "GET", "url": url, "headers": []},
        "response": {"status": 200, "headers": [], "content": content or {"text": "{}"}},
    }


_PATTERN = b'{"k": "v\\u00e9"}, '  # JSON text with an escape in it: \u00e9 is 2 bytes of UTF-8
_PIECE = _PATTERN * ((1 << 20) // len(_PATTERN))
_BIG = 60 * len(_PIECE)  # ~60 MB: a minute and ~4x its size in memory before streaming


def _write_big_har(path: Path, *, encoded: bool) -> tuple[int, str]:
    """A HAR with one huge response body; the size and sha256 of the body it stands for."""
    digest, size = hashlib.sha256(), 0
    content = {"mimeType": "application/json", "text": "@@"}
    if encoded:
        content["encoding"] = "base64"
    entries = [_har_entry("http://a/big", content)]
    head, tail = json.dumps({"log": {"entries": entries}}).encode().split(b'"@@"')
    decoded = _PIECE.replace(b"\\u00e9", "\u00e9".encode())
    with path.open("wb") as file:
        file.write(head + b'"')
        for _ in range(_BIG // len(_PIECE)):
            body = _PIECE if encoded else decoded
            digest.update(body)
            size += len(body)
            file.write(base64.b64encode(_PIECE) if encoded else _PIECE.replace(b'"', b'\\"'))
        file.write(b'"' + tail)
    return size, digest.hexdigest()


def _write_big_goreplay(path: Path, *, chunked: bool) -> tuple[int, str]:
    digest = hashlib.sha256()
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % _BIG
    with path.open("wb") as file:
        file.write(b"1 a 1763632800000000000\nGET /big HTTP/1.1\r\nHost: a\r\n\r\n" + SEPARATOR)
        file.write(b"2 a 1763632800100000000 100\nHTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n")
        for _ in range(_BIG // len(_PIECE)):
            digest.update(_PIECE)
            file.write(b"%x\r\n%s\r\n" % (len(_PIECE), _PIECE) if chunked else _PIECE)
        file.write((b"0\r\n\r\n" if chunked else b"") + SEPARATOR)
    return _BIG, digest.hexdigest()


@pytest.fixture(scope="module")
def tiny_peak_mb(tmp_path_factory: pytest.TempPathFactory) -> float:
    """The peak memory of importing a one-entry HAR: the process's own baseline."""
    folder = tmp_path_factory.mktemp("tiny")
    har = folder / "tiny.har"
    har.write_text(json.dumps({"log": {"entries": [_har_entry("http://a/x")]}}))
    run = run_import(str(har), "--store", str(folder / "s.duckdb"), cwd=folder)
    assert run.returncode == 0, run.stderr
    return run.peak_mb


BIG_FILES: dict[str, Callable[[Path], tuple[int, str]]] = {
    "har-text": lambda path: _write_big_har(path, encoded=False),
    "har-base64": lambda path: _write_big_har(path, encoded=True),
    "goreplay": lambda path: _write_big_goreplay(path, chunked=False),
    "goreplay-chunked": lambda path: _write_big_goreplay(path, chunked=True),
}


@pytest.mark.parametrize("kind", sorted(BIG_FILES))
def test_a_huge_body_is_imported_in_seconds_and_bounded_memory(
    tmp_path: Path, kind: str, tiny_peak_mb: float
) -> None:
    path = tmp_path / ("big.har" if kind.startswith("har") else "big.gor")
    size, sha256 = BIG_FILES[kind](path)
    store = tmp_path / "s.duckdb"

    run = run_import(str(path), "--store", str(store), cwd=tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    assert f"{path}: read 1, skipped 0" in run.stdout
    assert run.seconds < 30, f"{run.seconds:.1f} s"
    assert run.peak_mb < tiny_peak_mb + _HEADROOM_MB, f"{run.peak_mb:.0f} MB"
    connection = open_store(store)
    try:
        row = connection.execute("SELECT body_size, body_sha256, truncated FROM responses")
        assert row.fetchall() == [(size, sha256, True)]
    finally:
        connection.close()


def test_a_huge_mitmproxy_flow_takes_memory_in_proportion_to_it(
    tmp_path: Path, tiny_peak_mb: float
) -> None:
    """The bound that applies to flow files: mitmproxy's tnetstring reads a flow whole."""
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    size = 40 << 20
    flow = tflow.tflow(resp=True)
    flow.response.raw_content = b"x" * size
    path = tmp_path / "big.mitm"
    with path.open("wb") as file:
        FlowWriter(file).add(flow)
    del flow

    run = run_import(str(path), "--store", str(tmp_path / "s.duckdb"), cwd=tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.peak_mb < tiny_peak_mb + 3 * (size >> 20), f"{run.peak_mb:.0f} MB"


# ---------------------------------------------------------------- hostile files


def _mitm_then(tail: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from mitmproxy.io import FlowWriter
        from mitmproxy.test import tflow

        with path.open("wb") as file:
            FlowWriter(file).add(tflow.tflow(resp=True))
            file.write(tail)

    return write


def _nested_tnetstring(depth: int) -> bytes:
    value = b"0:]"  # an empty list
    for _ in range(depth):
        value = b"%d:%s]" % (len(value), value)
    return value


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


_GOOD_HAR = json.dumps(_har_entry("http://a/1")).encode()
_ENTRIES = b'{"log":{"entries":['
_CHUNKED = b"1 a 1763632800000000000\nPOST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"

HOSTILE: dict[str, tuple[str, Callable[[Path], None]]] = {
    # A length prefix of a terabyte: read() of it raised MemoryError.
    "mitm-terabyte-prefix": ("f.mitm", _mitm_then(b"999999999999:" + b"x" * 10)),
    "mitm-100gb-prefix-first": ("f.mitm", _bytes(b"99999999999:" + b"x" * 10)),
    "mitm-nested-lists": ("f.mitm", _mitm_then(_nested_tnetstring(5000))),
    # A negative chunk size sent the old decoder back to the same place forever.
    "goreplay-negative-chunk": ("f.gor", _bytes(_CHUNKED + b"-6\r\nabc\r\n0\r\n\r\n")),
    # ijson keeps the path to every open container: 100k levels need ~25 GB.
    "har-nested-arrays": (
        "f.har",
        _bytes(_ENTRIES + _GOOD_HAR + b"," + b"[" * 100_000 + b"]" * 100_000 + b"]}}"),
    ),
    "har-nested-first": ("f.har", _bytes(_ENTRIES + b'{"a":' * 100_000)),
    # A surrogate encoded in UTF-8: yajl lets it through, Python's decoder raised in ijson.
    "har-not-utf8": ("f.har", _bytes(_ENTRIES + _GOOD_HAR + b',{"x":"\xed\xa0\x80"}]}}')),
    "har-huge-number": ("f.har", _bytes(_ENTRIES + b"1" * (8 << 20) + b"]}}")),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_or_skipped_quickly(tmp_path: Path, case: str) -> None:
    name, write = HOSTILE[case]
    path = tmp_path / name
    write(path)
    run = run_import(str(path), "--store", str(tmp_path / "s.duckdb"), cwd=tmp_path, max_gb=4)
    assert_clean(run, path)
    assert run.seconds < 20, f"{run.seconds:.1f} s"


# ---------------------------------------------------------------- cut and garbage files


def _good_files(folder: Path) -> dict[str, Path]:
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    har = folder / "good.har"
    har.write_text(
        json.dumps({"log": {"entries": [_har_entry(f"http://a/{i}") for i in range(4)]}})
    )
    flows = folder / "good.mitm"
    with flows.open("wb") as file:
        for _ in range(4):
            FlowWriter(file).add(tflow.tflow(resp=True))
    gor = folder / "good.gor"
    gor.write_bytes(
        SEPARATOR.join(
            b"1 r%d 17636328%02d000000000\nGET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % (i, i, i)
            for i in range(4)
        )
    )
    return {"har": har, "mitm": flows, "goreplay": gor}


def _variants(good: bytes) -> dict[str, bytes]:
    garbage = bytes((i * 97 + 13) % 256 for i in range(4096))
    return {
        "cut-early": good[: len(good) // 5],
        "cut-late": good[: len(good) * 4 // 5],
        "prefix-then-garbage": good[: len(good) // 2] + garbage,
        "huge-garbage": good[:2] + garbage * 4096,  # 16 MB
    }


@pytest.mark.parametrize("format", ["har", "mitm", "goreplay"])
def test_cut_or_garbage_files_are_imported_or_refused_and_a_refusal_writes_nothing(
    tmp_path: Path, format: str
) -> None:
    good = _good_files(tmp_path)[format]
    store = tmp_path / "s.duckdb"
    first = run_import(str(good), "--store", str(store), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = exchanges_in(store)
    assert before == 4

    for variant, data in _variants(good.read_bytes()).items():
        path = tmp_path / f"{variant}{good.suffix}"
        path.write_bytes(data)
        run = run_import(str(path), "--store", str(store), "--format", format, cwd=tmp_path)
        assert_clean(run, path)
        after = exchanges_in(store)
        if run.returncode == 2:
            assert after == before, variant  # nothing half-written
        before = after


def test_a_refused_file_among_several_writes_nothing(tmp_path: Path) -> None:
    good = _good_files(tmp_path)["har"]
    foreign = tmp_path / "foreign.har"
    foreign.write_text('{"name": "not a har"}')
    store = tmp_path / "s.duckdb"
    run = run_import(str(good), str(foreign), "--store", str(store), cwd=tmp_path)
    assert_clean(run, foreign)
    assert run.returncode == 2
    assert exchanges_in(store) == 0
