"""The derived tables' Parquet files (`exported`) put beside segments in object storage."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pyarrow.fs as pafs

from twinsight.errors import StoreError
from twinsight.store.exported import EXPORT_FOLDER
from twinsight.store.objecterrors import reason
from twinsight.store.objects import ObjectSegments, pulled_from

__all__ = ["push_exported"]


def push_exported(folder: Path, files: set[str]) -> int:
    """Make `derived/` under the prefix the local `folder` was pulled from hold the
    folder-relative `files`: those missing put, every other removed (files never change once
    named, so a name there is its content); how many were put. Nothing for a folder not
    pulled from object storage. StoreError (one line) when that fails."""
    location = pulled_from(folder)
    if location is None:
        return 0
    segments = ObjectSegments(location)
    try:
        there = _names(segments)
        # A file the ledger names that is not here was put by the machine that wrote it.
        missing = [n for n in sorted(files - there) if (folder / n).exists()]
        for name in missing:
            segments.upload(folder / name, name)
        for name in sorted(there - files):
            # Listed, then removed by another analysis at once: as wanted.
            with contextlib.suppress(FileNotFoundError):
                segments.fs.delete_file(location.key(name))
    except OSError as exc:
        why = reason(exc)
        raise StoreError(f"{location.url}: cannot store the derived tables: {why}") from None
    return len(missing)


def _names(segments: ObjectSegments) -> set[str]:
    """The objects under `derived/`, by prefix-relative name."""
    root = segments.location.key("")
    folder = segments.location.key(EXPORT_FOLDER)
    chosen = pafs.FileSelector(folder, allow_not_found=True, recursive=True)
    found = segments.fs.get_file_info(chosen)
    return {i.path.removeprefix(root).lstrip("/") for i in found if i.type == pafs.FileType.File}
