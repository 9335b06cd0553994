"""How far a run has got, for a progress bar: each pass over the exchanges counts them.

A pass in this process counts as it reads (`tracked`). A pass cut into parts for worker
processes has each part count into a small file of its own (`counting_into`), which this
process reads while it waits (`watching`): no queue or shared memory crosses the
processes, and a part that fails or has not started yet simply counts nothing. Told only
when a run asks (`telling`): otherwise a pass reads exactly as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

__all__ = [
    "EVERY",
    "PASSES",
    "OnProgress",
    "announce",
    "counting_into",
    "read_count",
    "telling",
    "tracked",
    "wanted",
    "watching",
]

T = TypeVar("T")

OnProgress = Callable[[str, int, int], None]
"""Told (what the pass does, exchanges it has read, exchanges it reads) as a pass goes;
(what the step does, 0, 0) for a step that counts nothing."""
PASSES = {
    "evidence": "reading the legacy's evidence",
    "replica": "counting the replica's noise",
    "judging": "judging",
    "writing": "clustering and writing the derived tables",
    "examples": "reading the clusters' examples",
}
"""Each pass over the exchanges, and what it is called when told."""
EVERY = 1000
"""Exchanges between two counts."""
_POLL = 0.25
"""Seconds between two reads of the parts' counts."""

_TOLD: ContextVar[OnProgress | None] = ContextVar("progress", default=None)


@contextmanager
def telling(on_progress: OnProgress | None) -> Iterator[None]:
    """Tell `on_progress` how each pass inside goes (None: whoever is told already, if
    anyone: a command tells its bar around what runs an analysis)."""
    token = _TOLD.set(on_progress or _TOLD.get())
    try:
        yield
    finally:
        _TOLD.reset(token)


def announce(name: str) -> None:
    """Tell that step `name`, of no count, has begun."""
    told = _TOLD.get()
    if told is not None:
        told(PASSES[name], 0, 0)


def wanted() -> bool:
    """Whether a run inside `telling` asked to be told."""
    return _TOLD.get() is not None


def tracked(name: str, items: Iterable[T], total: Callable[[], int]) -> Iterable[T]:
    """`items` as they come, pass `name` told every EVERY of `total()` of them (asked only
    when someone is told)."""
    told = _TOLD.get()
    if told is None:
        return items
    of = total()
    # The total counts what the pass picks; it reads only what was answered: at its end,
    # what it read is all there was.
    label = PASSES[name]
    return _counted(items, lambda done: told(label, done, of), lambda n: told(label, n, n))


def _counted(
    items: Iterable[T], tell: Callable[[int], None], end: Callable[[int], None] | None = None
) -> Iterator[T]:
    """`items`, `tell` every EVERY of them and at 0; at their end, `end` (else `tell`)."""
    done = 0
    tell(0)
    for item in items:
        yield item
        done += 1
        if done % EVERY == 0:
            tell(done)
    (end or tell)(done)


def counting_into(file: Path | None, items: Iterable[T]) -> Iterable[T]:
    """`items` as they come, counted into `file` (None: not counted) every EVERY of them
    (in a worker process: the parent reads it)."""
    if file is None:
        return items
    written = file.with_name(f"{file.name}.new")

    def tell(done: int) -> None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            written.write_text(str(done))
            written.replace(file)  # whole: never read half written
        except OSError:
            pass  # a count not written costs a progress bar, never the run

    return _counted(items, tell)


def read_count(file: Path) -> int:
    """What a part has counted so far (0 before it starts)."""
    try:
        return int(file.read_text() or 0)
    except (OSError, ValueError):  # not written yet
        return 0


@contextmanager
def watching(name: str, files: Sequence[Path], total: int) -> Iterator[None]:
    """While the block runs (its parts in other processes), tell pass `name` what the parts
    have counted into `files`, of `total`; once more at the end."""
    told = _TOLD.get()
    if told is None:
        yield
        return
    stop = threading.Event()

    def tell() -> None:
        told(PASSES[name], sum(read_count(f) for f in files), total)

    def poll() -> None:
        while not stop.wait(_POLL):
            tell()

    tell()
    watcher = threading.Thread(target=poll, name="twinsight-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    done = sum(read_count(f) for f in files)
    told(PASSES[name], done, done)  # as for `tracked`: what the parts read was all there was
