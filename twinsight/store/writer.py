"""The background writer: the capture path hands over exchanges and never waits on storage.

`submit` appends to an in-memory backlog and returns at once. A thread wakes every
flush interval, turns the backlog into Arrow tables (decoding and redacting bodies on
its way) and writes them in batches, each all or nothing and bounded in bytes, so a
burst of large answers never needs more memory than one batch. The backlog is bounded
in exchanges and in bytes; past either bound an exchange is dropped and counted.

A write that fails is retried, never doubled (the store keeps one row per key). A batch
that fails is halved until the exchange the store refuses is found; that one is retried
at the next flushes and then dropped and counted (`dropped.store_error`). When nothing
can be written (disk full, folder gone) the backlog waits, `failure` says why, and each
condition is logged once. `close` never raises: what it could not write is counted as
`dropped.store_unavailable`. A hard kill loses at most what was handed over since the
last flush; the counters written with every batch let `store info` say how much.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict, Unpack

import duckdb
import pyarrow as pa

from twinsight.records import Exchange
from twinsight.store.backlog import Backlog, exchange_size
from twinsight.store.counters import CaptureCounters
from twinsight.store.files import StoreError
from twinsight.store.redaction import Redactor
from twinsight.store.rows import Batch
from twinsight.store.schema import CAPTURE_COUNTERS
from twinsight.store.sinks import DuckDBSink, SegmentSink, Sink, Written

__all__ = [
    "BATCH_BYTES",
    "POISON_ATTEMPTS",
    "STUCK_AFTER_S",
    "StoreWriter",
    "WriterOptions",
    "open_writer",
    "writer_name",
]

log = logging.getLogger(__name__)

BATCH_BYTES = 16 << 20
"""Body bytes per batch: a transaction keeps its rows in memory until it commits."""
BATCH_EXCHANGES = 20_000
POISON_ATTEMPTS = 3
"""Flushes at which an exchange the store refuses on its own is tried before it is dropped."""
STUCK_AFTER_S = 10.0
"""How long an importer or a replay waits for a store that refuses every write."""


class WriterOptions(TypedDict, total=False):
    """A writer's settings besides its sink and redactor; StoreWriter's defaults fill the rest."""

    counters: CaptureCounters | None
    max_body: int
    flush_interval: float
    max_backlog: int
    max_backlog_bytes: int


def writer_name() -> str:
    """A name for this capture process, unique among the writers of one segment folder."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(2).hex()}"


class StoreWriter:
    """Batches exchanges to a sink on a thread of its own."""

    def __init__(
        self,
        sink: Sink,
        *,
        redactor: Redactor,
        counters: CaptureCounters | None = None,
        max_body: int = 1 << 20,
        flush_interval: float = 1.0,
        max_backlog: int = 100_000,
        max_backlog_bytes: int = 512 << 20,
        name: str | None = None,
    ) -> None:
        self.sink, self.redactor = sink, redactor
        self.counters = counters or CaptureCounters()
        self.max_body, self.flush_interval = max_body, flush_interval
        self.name = name or writer_name()
        self.last_flush = time.monotonic()
        self._written_counts: dict[str, int] = {}
        self._backlog = Backlog(max_backlog, max_backlog_bytes)
        self._attempts: dict[str, int] = {}  # exchanges refused on their own, by id
        # One write at a time: the thread's flushes, and a flush or close called from
        # elsewhere (a sink is not safe for two writers at once).
        self._writing = threading.RLock()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="twinsight-writer", daemon=True)
        self._failing: str | None = None
        self._failing_since: float | None = None
        self._failures = 0
        self._logged: set[str] = set()
        self._storage_failed = False  # this flush met a failure of the storage itself

    def start(self) -> StoreWriter:
        """Start the writer thread; returns self."""
        self._thread.start()
        return self

    @property
    def failure(self) -> str | None:
        """Why capture is failing to reach the store right now; None while writes succeed."""
        return self._failing

    @property
    def backlog(self) -> int:
        """Exchanges submitted and not yet written."""
        return len(self._backlog)

    def submit(self, exchange: Exchange) -> bool:
        """Queue `exchange` for writing; False (and counted as dropped) if the backlog is full."""
        accepted = not self._closing and self._backlog.add(exchange)
        if not accepted:
            self.counters.add("dropped.store_backlog")
        return accepted

    def put(self, exchange: Exchange) -> None:
        """Queue `exchange`, waiting for room (for importers, which may wait; capture may not)."""
        while not self.room_for(exchange):
            self.raise_if_stuck()
            time.sleep(self.flush_interval / 10)
        self.submit(exchange)

    def room_for(self, exchange: Exchange) -> bool:
        """Whether `submit` would take `exchange` now."""
        return self._backlog.room_for(exchange)

    def raise_if_stuck(self) -> None:
        """Raise StoreError when the store has refused every write for STUCK_AFTER_S (for
        producers that can wait, and stop rather than wait for ever)."""
        since = self._failing_since
        if since is not None and time.monotonic() - since > STUCK_AFTER_S:
            raise StoreError(f"cannot write the store: {self._failing}")

    def close(self) -> None:
        """Write everything submitted so far, then stop; what cannot be written is counted."""
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        if self._thread.ident is None:
            self.flush()  # never started (tests, tools): the last flush happens here
        else:
            self._thread.join()
        left = self._backlog.drop_all()
        if left:
            self.counters.add("dropped.store_unavailable", left)
            log.error("store: %d exchange(s) could not be written before closing", left)
        self.counters.add("closed")
        self._write_counters()
        try:
            self.sink.close()
        except (OSError, duckdb.Error) as exc:
            log.error("store: closing failed: %s", _first_line(exc))

    def _run(self) -> None:
        # A first row of counters at once: a writer killed before its first flush still
        # shows in `store info` as one with no clean shutdown, not as nothing at all.
        self.counters.add("started")
        self._write_counters()
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            closing = self._closing
            try:
                self.flush()
            except Exception:
                log.exception("store writer: unexpected failure; retrying at the next flush")
            if closing:
                return

    def flush(self) -> int:
        """Write the backlog now; returns exchanges stored."""
        with self._writing:
            return self._flush()

    def _flush(self) -> int:
        taken = self._backlog.take()
        if not taken:
            if self.counters.snapshot() != self._written_counts and self._write_counters():
                self._recovered()
            self.last_flush = time.monotonic()
            return 0  # idle: no empty segment every second
        stored, retry = 0, []
        self._storage_failed = False
        for batch in _batches(taken):
            written, refused = self._write(batch)
            stored += written
            retry.extend(refused)
        if not retry:
            self._recovered()
        # When others went in, or the store takes a write of counters alone, it is these
        # exchanges the store refuses, not the store that fails; unless the failure was
        # the storage's own (a nearly full disk still takes small writes, not large ones).
        poison = bool(retry) and not self._storage_failed and (stored > 0 or self._write_counters())
        self._requeue(retry, poison=poison)
        self.last_flush = time.monotonic()
        return stored

    def _write(self, batch: list[Exchange]) -> tuple[int, list[Exchange]]:
        """Write `batch`, halving it on failure; (exchanges stored, exchanges refused).

        Tries at most about twice log2(len(batch)) writes: when the first half goes in not
        at all and the second fails too, the store itself is failing, not an exchange."""
        written = self._try(batch)
        if written is not None:
            return written, []
        if len(batch) == 1:
            return 0, batch
        middle = len(batch) // 2
        first, second = batch[:middle], batch[middle:]
        stored, refused = self._write(first)
        if not stored and len(refused) == len(first):
            probe = self._try(second)
            return (0, batch) if probe is None else (probe, refused)
        more, rest = self._write(second)
        return stored + more, refused + rest

    def _try(self, batch: list[Exchange]) -> int | None:
        """Exchanges stored, or None when the write failed (and was rolled back)."""
        try:
            return self._write_once(batch).exchanges
        except Exception as exc:
            self._failed(exc)
            return None

    def _write_once(self, batch: list[Exchange]) -> Written:
        rows = Batch(self.redactor, self.name, self.max_body)
        for exchange in batch:
            rows.add(exchange)
        written = self.sink.write(rows.tables(), self._counter_rows)
        self.counters.add("stored", written.exchanges)
        if written.duplicates:
            self.counters.add("duplicate", written.duplicates)
        for exchange in batch:
            self._attempts.pop(exchange.id, None)
        return written

    def _requeue(self, refused: list[Exchange], *, poison: bool) -> None:
        """Put refused exchanges back in front; when others went in (`poison`), the store
        refuses these on their own: after POISON_ATTEMPTS flushes they are dropped."""
        kept = []
        for exchange in refused:
            tries = self._attempts.get(exchange.id, 0) + (1 if poison else 0)
            if tries >= POISON_ATTEMPTS:
                self._attempts.pop(exchange.id, None)
                self.counters.add("dropped.store_error")
                log.error("store: exchange %s dropped: the store refused it", exchange.id)
                continue
            self._attempts[exchange.id] = tries
            kept.append(exchange)
        self._backlog.give_back(kept)

    def _failed(self, exc: BaseException) -> None:
        reason = _first_line(exc)
        self._failures += 1
        self._storage_failed |= _storage_failure(exc, reason)
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        if reason not in self._logged:  # once per condition until writes work again
            self._logged.add(reason)
            log.error("store: writing failed, capture continues in memory: %s", reason)
        self._failing = reason
        if isinstance(exc, duckdb.FatalException):
            # DuckDB refuses every later statement on a connection after a fatal error (a
            # failed write to a full disk): a fresh connection replays what was committed.
            try:
                self.sink.reopen()
            except StoreError as again:
                self._failing = str(again)

    def _recovered(self) -> None:
        if self._failing is not None:
            log.warning("store: writing works again after %d failed attempt(s)", self._failures)
        self._failing, self._failing_since, self._failures = None, None, 0
        self._logged.clear()

    def _write_counters(self) -> bool:
        """Write the counters alone; whether the store took them."""
        try:
            with self._writing:
                self.sink.write({}, self._counter_rows)
        except Exception as exc:
            self._failed(exc)
            return False
        return True

    def _counter_rows(self, written: Written) -> pa.Table:
        counts = self.counters.snapshot()
        counts["stored"] = counts.get("stored", 0) + written.exchanges
        if written.duplicates:
            counts["duplicate"] = counts.get("duplicate", 0) + written.duplicates
        self._written_counts = counts
        now = datetime.now(UTC)
        columns = {
            "ts": [now] * len(counts),
            "writer": [self.name] * len(counts),
            "name": list(counts),
            "value": list(counts.values()),
        }
        return pa.table(columns, schema=CAPTURE_COUNTERS.arrow_schema())


def _batches(exchanges: list[Exchange]) -> Iterator[list[Exchange]]:
    """Consecutive runs of at most BATCH_EXCHANGES exchanges and (past one) BATCH_BYTES."""
    batch: list[Exchange] = []
    size = 0
    for exchange in exchanges:
        grown = size + exchange_size(exchange)
        if batch and (grown > BATCH_BYTES or len(batch) >= BATCH_EXCHANGES):
            yield batch
            batch, grown = [], exchange_size(exchange)
        batch.append(exchange)
        size = grown
    if batch:
        yield batch


_STORAGE_WORDS = ("no space", "file too large", "could not write", "i/o error", "read-only")


def _storage_failure(exc: BaseException, reason: str) -> bool:
    """Whether `exc` is the storage failing (disk, file system), not the data written."""
    return isinstance(exc, OSError | duckdb.IOException | duckdb.FatalException) or any(
        word in reason.lower() for word in _STORAGE_WORDS
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def open_writer(
    path: Path | None,
    segments: Path | None,
    *,
    redactor: Redactor,
    **options: Unpack[WriterOptions],
) -> StoreWriter:
    """A started writer to the DuckDB file at `path` or, when given, the segment folder."""
    name = writer_name()
    sink: Sink
    if segments is not None:
        sink = SegmentSink(segments, name)
    elif path is not None:
        sink = DuckDBSink(path)
        for note in sink.notes:
            log.warning("%s: %s", path, note)
    else:
        raise StoreError("no store given: pass --store FILE or --segments DIR (or set [store])")
    return StoreWriter(sink, redactor=redactor, name=name, **options).start()
