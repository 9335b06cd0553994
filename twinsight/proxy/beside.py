"""A capture into a store file writes Parquet segments beside it and absorbs them at the end.

Every capture process, one or `--workers N`, writes `FILE.segments/` rather than FILE:
the Parquet writer holds no cache, where DuckDB holds inserted rows until each
checkpoint (a lone proxy's RSS rose from 300 MB writing FILE itself, and stayed at
200-210 MB writing segments: bench/README), and the capture never holds FILE. Readers of
FILE read the segments beside it too (`open_store`), so nothing flushed is out of sight
while the capture runs or after it was killed.

The folder is locked for the whole run (store.capturelock): a second capture into FILE is
refused instead of absorbing this one's segments. What a killed run left is absorbed at
the next start; absorbing is keyed, so a crash between absorbing and removing adds
nothing the next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from twinsight.config import Config
from twinsight.errors import StoreError, UserError
from twinsight.events import CaptureSummary
from twinsight.store import absorb_segments
from twinsight.store.capturelock import Held, segments_held
from twinsight.store.files import first_line

__all__ = ["capture_beside"]

log = logging.getLogger(__name__)

Run = Callable[[Config, Held | None], CaptureSummary]
"""A capture run: its settings (the store given as a segment folder) and the held lock."""


def capture_beside(config: Config, run: Run) -> CaptureSummary:
    """`run` writing segments: into `--segments DIR` as given, or beside `--store FILE`,
    absorbed into FILE before (a killed run's leftovers) and after."""
    path, segments = config.store.locations()
    if segments is not None:  # no store file: the segments stay where they are written
        return run(config, None)
    store = _required(path)
    with segments_held(store) as held:  # refuses a second run into the same file
        _absorb(held.folder, store)  # a killed run's leftovers; refuses a locked file
        try:
            return run(_into(config, held.folder), held)
        finally:
            _absorb_at_end(held.folder, store)


def _into(config: Config, folder: Path) -> Config:
    """`config` with its store the segment folder `folder` alone."""
    store = config.store.model_copy(update={"path": None, "segments": folder})
    return config.model_copy(update={"store": store})


def _required(path: Path | None) -> Path:
    if path is None:  # locations() gives a file when it gives no folder
        raise UserError("no store given: pass --store FILE or --segments DIR")
    return path


def _absorb_at_end(folder: Path, store: Path) -> None:
    """`_absorb`, or one line saying why not: the segments stay where readers of `store`
    find them and the next capture into it absorbs them, so nothing is lost, and the run's
    own summary still follows."""
    try:
        _absorb(folder, store)
    except (StoreError, OSError) as exc:
        log.error(
            "%s; its segments stay in %s (read with it, absorbed by the next capture into it)",
            first_line(exc),
            folder,
        )


def _absorb(folder: Path, store: Path) -> None:
    """Bring every segment in `folder` into `store`, then remove them (absorbing is keyed:
    a crash between the two adds nothing the next time)."""
    files = [*folder.glob("*.parquet")]
    absorb_segments(folder, store)  # also when there are none: opens (and checks) the file
    if not folder.is_dir():
        return
    for file in files:
        file.unlink(missing_ok=True)
    for partial in folder.glob(".*.partial"):  # a killed writer's unfinished batch
        partial.unlink(missing_ok=True)
    if not any(folder.iterdir()):
        folder.rmdir()
