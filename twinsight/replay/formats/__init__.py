"""Reading recorded traffic: HAR, mitmproxy flow files, GoReplay files, another twinsight store.

Each reader streams its file and yields, entry by entry, an `Exchange`
(`source="import"`, the recorded answer as the `legacy` response when there is
one) or a `Skipped` naming the file, the entry and what was wrong with it. A
file that is not of its format raises `FormatError` with one line. Ids are
derived from the file's name and the entry's place and time, so reading a file
twice gives the same exchanges (imports and resumed replays recognise them).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Literal

from twinsight.records import Exchange

from .common import Entry, FormatError, OnBytes, Skipped, Tally
from .goreplay import SEPARATOR, read_goreplay
from .har import read_har
from .mitmflows import read_mitm_flows
from .stored import read_snapshot, read_store, snapshot_store

__all__ = [
    "FORMATS",
    "Entry",
    "Format",
    "FormatError",
    "OnBytes",
    "Skipped",
    "Tally",
    "detect",
    "exchanges_only",
    "read_capture",
    "read_snapshot",
    "snapshot_store",
]

Format = Literal["har", "mitm", "goreplay", "store"]
FORMATS: tuple[Format, ...] = ("har", "mitm", "goreplay", "store")
_DUCKDB_MAGIC = b"DUCK"


def detect(path: Path) -> Format:
    """The format of the file at `path`, from its first bytes (FormatError if none fits)."""
    if path.is_dir():
        return "store"  # a folder of Parquet segments
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror}") from None
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[8:12] == _DUCKDB_MAGIC:
        return "store"
    if stripped.startswith(b"{"):
        return "har"
    if head[:1] in b"123" and head[1:2] == b" ":
        return "goreplay"
    if SEPARATOR.strip() in head and b" HTTP/1." in head:
        return "goreplay"
    if head[:1].isdigit() and b":" in head[:12]:
        return "mitm"  # a tnetstring: "LENGTH:"
    raise FormatError(
        f"{path}: not a capture file twinsight reads (HAR, mitmproxy flows, GoReplay, a store)"
    )


def read_capture(
    path: Path,
    *,
    format: Format | None = None,
    max_body: int = 1 << 20,
    on_bytes: OnBytes | None = None,
) -> Iterator[Entry]:
    """Every entry of the capture file at `path`, as exchanges or skips, streamed.

    A file not of its format raises FormatError here, not later: a reader only ever
    refuses a file before its first entry, and that one is read now. A caller that calls
    this for every file before writing anything writes nothing when one is refused."""
    found = format or detect(path)
    if found == "har":
        entries = read_har(path, max_body=max_body, on_bytes=on_bytes)
    elif found == "mitm":
        entries = read_mitm_flows(path, max_body=max_body, on_bytes=on_bytes)
    elif found == "goreplay":
        entries = read_goreplay(path, max_body=max_body, on_bytes=on_bytes)
    else:
        entries = read_store(path)
    first = next(entries, None)
    return entries if first is None else chain((first,), entries)


def exchanges_only(entries: Iterator[Entry], tally: Tally) -> Iterator[Exchange]:
    """The exchanges among `entries`, counting them and the skips in `tally`."""
    for entry in entries:
        if isinstance(entry, Skipped):
            tally.skip(entry)
        else:
            tally.read += 1
            yield entry
