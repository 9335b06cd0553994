"""Where each batch's manifest is kept in object storage, and which of them a pull lists.

A writer puts a batch's manifest at `PREFIX/batches/YYYY-MM-DD/HH/WRITER-SEQ.json`, in the
folder of the UTC hour (its clock) at which it commits the batch; writers before these
folders put it at `PREFIX/batches/WRITER-SEQ.json`, which is still read. The store lists a
folder's subfolders apart from the objects beneath them, in name order, and folder names
sort by time: so a pull lists `batches/` (the day folders, and any manifest of the old
layout), the hour folders of the days it needs, and the manifests only of the hours from
the newest it has seen, less `RELIST`, on. A week of batches costs a few small listings
instead of every key under the prefix.

Why a batch listed late is not missed: its writer names the hour just before it puts the
manifest, and the put gives up within a few minutes (three attempts, 30 s each), so a
manifest can appear in an hour folder older than the newest one only by that, plus how far
the writers' clocks disagree. `RELIST` (an hour) covers both with room to spare; the newest
hour a pull goes by is never later than its own clock, so a writer whose clock runs ahead
does not move it on. For anything beyond (a clock off by hours, a batch removed from the
store), every `FULL_EVERY`-th pull lists every manifest and every segment, as the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow.fs as pafs

__all__ = [
    "FULL_EVERY",
    "MANIFESTS",
    "RELIST",
    "Listed",
    "hour_folder",
    "list_manifests",
    "manifest_key",
    "relist_from",
]

MANIFESTS = "batches"
"""Where, under the prefix, each committed batch's manifest is."""
RELIST = timedelta(hours=1)
"""How far before the newest hour seen a pull lists again (see the module's docstring)."""
FULL_EVERY = 24
"""Every this many pulls of one local copy list every manifest and segment."""
_HOUR = "%Y-%m-%d/%H"
_HOUR_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{2}$")


@dataclass(frozen=True)
class Listed:
    """The manifests a listing found (batch -> the object's path) and the newest hour
    folder among them ("YYYY-MM-DD/HH"; None when none is in one)."""

    manifests: dict[str, str]
    newest: str | None


def hour_folder(when: datetime) -> str:
    """The folder ("YYYY-MM-DD/HH", UTC) of a manifest committed at `when`."""
    return when.astimezone(UTC).strftime(_HOUR)


def manifest_key(batch: str, when: datetime) -> str:
    """The manifest's name under the prefix for `batch` committed at `when`."""
    return f"{MANIFESTS}/{hour_folder(when)}/{batch}.json"


def relist_from(newest: str | None, now: datetime) -> str:
    """The first hour folder a pull lists, given the newest one it has seen (None: none
    yet, all in the old layout)."""
    seen = now if newest is None else datetime.strptime(newest, _HOUR).replace(tzinfo=UTC)
    return hour_folder(min(seen, now) - RELIST)


def list_manifests(fs: pafs.FileSystem, base: str, since: str | None) -> Listed:
    """The manifests under `base` (the prefix's `batches` folder): every one when `since`
    is None (one listing of the whole folder), else the old layout's and those in hour
    folders from `since` on."""
    if since is None:
        chosen = pafs.FileSelector(base, allow_not_found=True, recursive=True)
        return _listed(base, fs.get_file_info(chosen))
    found, day_from = _children(fs, base), since.split("/")[0]
    for day in _folders(found):
        if day.base_name >= day_from:
            for hour in _folders(_children(fs, day.path)):
                if f"{day.base_name}/{hour.base_name}" >= since:
                    found += _children(fs, hour.path)
    return _listed(base, found)


def _children(fs: pafs.FileSystem, where: str) -> list[pafs.FileInfo]:
    return list(fs.get_file_info(pafs.FileSelector(where, allow_not_found=True)))


def _folders(found: list[pafs.FileInfo]) -> list[pafs.FileInfo]:
    return sorted(
        (i for i in found if i.type == pafs.FileType.Directory), key=lambda i: i.base_name
    )


def _listed(base: str, found: list[pafs.FileInfo]) -> Listed:
    manifests, newest = {}, None
    for info in found:
        if info.type != pafs.FileType.File or not info.base_name.endswith(".json"):
            continue
        manifests[info.base_name.removesuffix(".json")] = info.path
        folder = info.path.removeprefix(f"{base}/").rpartition("/")[0]
        if _HOUR_NAME.match(folder) and (newest is None or folder > newest):
            newest = folder
    return Listed(manifests, newest)
