"""`analyze --json`: one JSON object per judged exchange, one per line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import BinaryIO

import orjson

from twinsight.events import ExchangeJudged

__all__ = ["JsonLines", "json_line"]


def json_line(event: ExchangeJudged) -> bytes:
    """One exchange's verdict for machines: a JSON object on one line."""
    document = {
        "id": event.id,
        "method": event.method,
        "path": event.path,
        "query": event.query,
        "endpoint": event.endpoint,
        "candidate": event.candidate,
        "classification": event.classification,
        "reason": event.reason,
        # By location, so a line reads the same whether judged now or read back.
        "differences": sorted(event.differences, key=lambda d: (d["location"], d["kind"])),
        "source": event.source,
        "session": event.session,
        "started_at": _iso(event.started_at),
    }
    return orjson.dumps(document, default=str) + b"\n"


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the microsecond: one spelling whatever the reader's time zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class JsonLines:
    """Writes each `ExchangeJudged` it is handed to `out` as one line."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def __call__(self, event: ExchangeJudged) -> None:
        self.out.write(json_line(event))
