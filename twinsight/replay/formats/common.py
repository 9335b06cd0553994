"""What every reader shares: skips with reasons, the tally, and the error for a foreign file."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from twinsight.errors import FormatError
from twinsight.records import Body, Exchange, Headers, Response
from twinsight.store import stable_id

__all__ = [
    "Entry",
    "FormatError",
    "OnBytes",
    "Skipped",
    "Tally",
    "imported",
    "open_tracked",
    "split_target",
    "split_url",
    "utc",
]

OnBytes = Callable[[int], None]
"""Told how many more bytes of a file were read (for a progress bar)."""

SHOWN_REASONS = 5


@dataclass(frozen=True)
class Skipped:
    """An entry that could not be read, and why."""

    file: str
    entry: int  # 0-based position in the file
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: entry {self.entry}: {self.reason}"


Entry = Exchange | Skipped


@dataclass
class Tally:
    """How many entries were read and skipped, with the first few reasons."""

    read: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)

    def skip(self, skipped: Skipped) -> None:
        """Count one skipped entry."""
        self.skipped += 1
        if len(self.reasons) < SHOWN_REASONS:
            self.reasons.append(str(skipped))


def imported(
    key: str,
    ts: datetime,
    method: str,
    url: tuple[str, str, str, str],
    headers: Headers,
    body: Body,
    responses: tuple[Response, ...] = (),
    *,
    session: str | None = None,
) -> Exchange:
    """A request read from a recording, `url` as (scheme, host, path, query). Its id derives
    from `key` (format, file, place in it) and `ts`: a file read again gives the same ids."""
    scheme, host, path, query = url
    return Exchange(
        id=stable_id(ts, key),
        source="import",
        method=method,
        path=path,
        query=query,
        scheme=scheme,
        host=host,
        headers=headers,
        body=body,
        responses=responses,
        session=session,
        ts=ts,
    )


def utc(seconds: float) -> datetime:
    """A POSIX time as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target, kept byte for byte ("/a?b=1" -> ("/a", "b=1"))."""
    path, _, query = target.partition("?")
    return path or "/", query


def split_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, host, path, query) of an absolute http(s) URL; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    path, query = split_target(url.split(parts.netloc, 1)[1].split("#", 1)[0])
    return parts.scheme, parts.netloc, path, query


class _Counting(io.RawIOBase):
    def __init__(self, raw: io.FileIO, on_bytes: OnBytes) -> None:
        self._raw, self._on_bytes = raw, on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer) or 0
        self._on_bytes(count)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_tracked(path: Path, on_bytes: OnBytes | None) -> io.BufferedReader:
    """`path` opened for buffered reading, telling `on_bytes` of every read."""
    try:
        raw = io.FileIO(path, "r")
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror}") from None
    return io.BufferedReader(_Counting(raw, on_bytes) if on_bytes else raw, 1 << 16)
