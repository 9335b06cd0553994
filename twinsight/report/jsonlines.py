"""`analyze --json`: one JSON object per judged exchange, one per line."""

from __future__ import annotations

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
    }
    return orjson.dumps(document, default=str) + b"\n"


class JsonLines:
    """Writes each `ExchangeJudged` it is handed to `out` as one line."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def __call__(self, event: ExchangeJudged) -> None:
        self.out.write(json_line(event))
