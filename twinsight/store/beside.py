"""Writing into a store file through Parquet segments beside it, absorbed at the end.

Every long-running producer into `--store FILE` (a capture, one process or `--workers N`;
a replay, likewise) writes `FILE.segments/` rather than FILE: the Parquet writer holds no
cache, where DuckDB holds inserted rows until each checkpoint (a lone proxy's RSS rose
from 300 MB writing FILE itself, and stayed at 200-210 MB writing segments: bench/README),
its rows cost the writer's thread a sixth of DuckDB's keyed insert, and the run never holds
FILE. Readers of FILE read the segments beside it too (`open_store`), so nothing flushed
is out of sight while the run goes on or after it was killed.

The folder is locked for the whole run (`capturelock`): a second run into FILE is refused
instead of absorbing this one's segments. What a killed run left is absorbed at the next
start; absorbing is keyed, so a crash between absorbing and removing adds nothing the
next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from twinsight.errors import StoreError
from twinsight.store.capturelock import Held, segments_held
from twinsight.store.files import first_line
from twinsight.store.sinks import absorb_segments

__all__ = ["write_beside"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def write_beside(store: Path, run: Callable[[Held], T]) -> T:
    """`run` writing into the segment folder beside the store file `store`, held locked for
    it; what is there is absorbed into `store` before (a killed run's leftovers) and after."""
    with segments_held(store) as held:  # refuses a second run into the same file
        _absorb(held.folder, store)  # a killed run's leftovers; refuses a locked file
        try:
            return run(held)
        finally:
            _absorb_at_end(held.folder, store)


def _absorb_at_end(folder: Path, store: Path) -> None:
    """`_absorb`, or one line saying why not: the segments stay where readers of `store`
    find them and the next run into it absorbs them, so nothing is lost, and the run's
    own summary still follows."""
    try:
        _absorb(folder, store)
    except (StoreError, OSError) as exc:
        log.error(
            "%s; its segments stay in %s (read with it, absorbed by the next run into it)",
            first_line(exc),
            folder,
        )


def _absorb(folder: Path, store: Path) -> None:
    """Bring every segment in `folder` into `store`, removing them while `store` is held
    (absorbing is keyed: a crash between the two adds nothing the next time). The folder
    itself goes with the lock (`segments_held`)."""
    # Also when there are none: opens (and checks) the file.
    absorb_segments(folder, store, remove=True)
    for partial in folder.glob(".*.partial"):  # a killed writer's unfinished batch
        partial.unlink(missing_ok=True)
