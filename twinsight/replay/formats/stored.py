"""Another twinsight store (a DuckDB file or a folder of segments) as recorded traffic.

The store is first copied to a Parquet snapshot of what a replay needs and
closed again: DuckDB lets one process hold a file either for reading or for
writing, and a replay may write its new exchanges into the very store it reads.
Earlier replays (`source = 'replay'`) are left out: one replays what was captured.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twinsight.records import PRIMARY_TARGET, Body, Exchange, Response
from twinsight.store import Store, snapshot_rows, unreadable_store

from .common import Entry, FormatError

__all__ = ["read_snapshot", "read_store", "snapshot_store"]


def snapshot_store(path: Path, folder: Path) -> Path:
    """Copy what a replay needs from the store at `path` (file or segment folder) into a
    Parquet file in `folder`, and close the store again."""
    out = folder / "recorded.parquet"
    try:
        with Store.open(None, path) if path.is_dir() else Store.open(path) as store:
            store.snapshot(out, target=PRIMARY_TARGET, leave_out_source="replay")
    except Exception as exc:
        if unreadable_store(exc) is None:
            raise
        raise FormatError(f"{path}: cannot read this store: {_first_line(exc)}") from None
    return out


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def read_snapshot(snapshot: Path, *, batch: int = 2000) -> Iterator[Entry]:
    """The exchanges of a snapshot, in recorded order, each with its legacy answer."""
    for row in snapshot_rows(snapshot, batch=batch):
        yield _exchange(row)


def read_store(path: Path) -> Iterator[Entry]:
    """The captured exchanges of the store at `path`."""
    with tempfile.TemporaryDirectory(prefix="twinsight-") as folder:
        yield from read_snapshot(snapshot_store(path, Path(folder)))


def _exchange(row: dict[str, Any]) -> Exchange:
    responses: tuple[Response, ...] = ()
    if row["status"] is not None or row["error"] is not None:
        responses = (
            Response(
                PRIMARY_TARGET,
                status=row["status"],
                headers=_message_headers(row, "response"),
                body=_body(row, "response"),
                latency_ms=row["latency_ms"],
                error=row["error"],
                base_url=row["response_base_url"],
                sent_at=row.get("response_sent_at"),  # absent from older snapshots
            ),
        )
    return Exchange(
        id=row["id"],
        source="import",
        method=row["method"],
        path=row["path"],
        query=row["query"] or "",
        scheme=row["scheme"] or "http",
        host=row["host"] or "",
        headers=_message_headers(row, "request"),
        body=_body(row, "request"),
        responses=responses,
        session=row["session"],
        ts=row["ts"],
    )


def _body(row: dict[str, Any], side: str) -> Body:
    return Body(
        row[f"{side}_body"] or b"",
        row[f"{side}_size"] or 0,
        row[f"{side}_sha256"] or "",
        bool(row[f"{side}_truncated"]),
    )


def _message_headers(row: dict[str, Any], side: str) -> tuple[tuple[str, str], ...]:
    # Bodies are stored decoded: the Content-Encoding they arrived with no longer applies.
    decoded = row[f"{side}_encoding"] is not None and not row[f"{side}_truncated"]
    return _headers(row[f"{side}_headers"], drop_encoding=decoded)


def _headers(raw: Any, *, drop_encoding: bool) -> tuple[tuple[str, str], ...]:
    pairs = ((h["name"], h["value"]) for h in raw or ())
    return tuple(p for p in pairs if not (drop_encoding and p[0].lower() == "content-encoding"))
