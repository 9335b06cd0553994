"""The background writer: the capture path hands over exchanges and never waits on storage.

`submit` appends to an in-memory backlog and returns at once. A thread wakes
every flush interval, turns the backlog into Arrow tables (decoding and
redacting bodies on its way) and writes them as one batch. On `close` it writes
whatever is left. A hard kill loses at most what was submitted since the last
flush (one flush interval of traffic, and never more than `max_backlog`
exchanges); a batch is one transaction or a set of renamed files, so the store
is never left half-written.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from twinsight.store.counters import CaptureCounters
from twinsight.store.records import Exchange
from twinsight.store.redact import Redactor
from twinsight.store.rows import Batch
from twinsight.store.schema import CAPTURE_COUNTERS
from twinsight.store.sinks import DuckDBSink, SegmentSink, Sink, StoreError

__all__ = ["StoreWriter", "open_writer", "writer_name"]

log = logging.getLogger(__name__)


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
        name: str | None = None,
    ) -> None:
        self.sink, self.redactor = sink, redactor
        self.counters = counters or CaptureCounters()
        self.max_body, self.flush_interval, self.max_backlog = max_body, flush_interval, max_backlog
        self.name = name or writer_name()
        self.last_flush = time.monotonic()
        self._written_counts: dict[str, int] = {}
        self._backlog: deque[Exchange] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="twinsight-writer", daemon=True)
        self._failure: BaseException | None = None
        self._failing: str | None = None

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
        if len(self._backlog) >= self.max_backlog or self._closing:
            self.counters.add("dropped.store_backlog")
            return False
        self._backlog.append(exchange)
        return True

    def close(self) -> None:
        """Write everything submitted so far and stop the thread."""
        self._closing = True
        self._wake.set()
        self._thread.join()
        self.sink.close()
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            closing = self._closing
            try:
                self.flush()
            except Exception as exc:
                # Keep capturing: the batch stays queued and the next flush tries again.
                log.exception("store write failed; retrying at the next flush")
                if closing:
                    self._failure = exc
                    return
            if closing:
                return

    def flush(self) -> int:
        """Write the backlog now (the writer thread calls this); returns exchanges written."""
        taken = [self._backlog.popleft() for _ in range(len(self._backlog))]
        if not taken and self.counters.snapshot() == self._written_counts:
            self.last_flush = time.monotonic()
            return 0  # idle: no empty segment every second
        batch = Batch(self.redactor, self.name, self.max_body)
        for exchange in taken:
            batch.add(exchange)
        tables = batch.tables()
        try:
            self.counters.add("stored", len(taken))
            counts = self.counters.snapshot()
            tables[CAPTURE_COUNTERS.name] = self._counter_rows(counts)
            self.sink.write(tables)
        except BaseException:
            self.counters.add("stored", -len(taken))
            self._backlog.extendleft(reversed(taken))
            raise
        self._written_counts = counts
        self.last_flush = time.monotonic()
        return len(taken)

    def _counter_rows(self, counts: dict[str, int]) -> pa.Table:
        now = datetime.now(UTC)
        columns = {
            "ts": [now] * len(counts),
            "writer": [self.name] * len(counts),
            "name": list(counts),
            "value": list(counts.values()),
        }
        return pa.table(columns, schema=CAPTURE_COUNTERS.arrow_schema())


def open_writer(
    path: Path | None,
    segments: Path | None,
    *,
    redactor: Redactor,
    counters: CaptureCounters | None = None,
    max_body: int = 1 << 20,
    flush_interval: float = 1.0,
    max_backlog: int = 100_000,
) -> StoreWriter:
    """A started writer to the DuckDB file at `path` or, when given, the segment folder."""
    name = writer_name()
    sink: Sink
    if segments is not None:
        sink = SegmentSink(segments, name)
    elif path is not None:
        sink = DuckDBSink(path)
    else:
        raise StoreError("no store given: pass --store FILE or --segments DIR (or set [store])")
    writer = StoreWriter(
        sink,
        redactor=redactor,
        counters=counters,
        max_body=max_body,
        flush_interval=flush_interval,
        max_backlog=max_backlog,
        name=name,
    )
    return writer.start()
