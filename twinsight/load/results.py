"""What locust measured on one target, as the store's load rows (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from twinsight.store.loads import LoadRow, achieved_rate

from .plan import LoadShape

__all__ = ["RunInfo", "load_rows", "summary"]

REFUSED = 429


@dataclass(frozen=True)
class RunInfo:
    """Which run and target the rows belong to."""

    run: str
    started_at: datetime
    target: str
    base_url: str
    shape: LoadShape


def load_rows(info: RunInfo, measured: Mapping[str, Any]) -> list[LoadRow]:
    """One row per endpoint of `measured` (the locustfile's output), sorted by endpoint."""
    duration = float(measured.get("duration_s") or 0.0)
    endpoints = measured.get("endpoints", {})
    identities = len({who for entry in endpoints.values() for who in entry.get("who", [0])})
    rows = []
    for endpoint, entry in sorted(endpoints.items()):
        statuses = {str(k): int(v) for k, v in entry["statuses"].items()}
        errors = sum(n for k, n in statuses.items() if int(k) == 0 or int(k) >= 500)
        rows.append(
            LoadRow(
                run=info.run,
                started_at=info.started_at,
                target=info.target,
                base_url=info.base_url,
                endpoint=endpoint,
                method=str(entry.get("method", endpoint.split(" ", 1)[0])),
                requests=sum(statuses.values()),
                errors=errors,
                refused=statuses.get(str(REFUSED), 0),
                statuses=orjson.dumps(statuses, option=orjson.OPT_SORT_KEYS).decode(),
                latencies_ms=[float(v) for v in entry["latencies"]],
                duration_s=duration,
                users=info.shape.users,
                rate=info.shape.rate,
                sent_ms=[float(v) for v in entry.get("sent_ms", [])],
                who=[int(v) for v in entry.get("who", [])],
                codes=[int(v) for v in entry.get("codes", [])],
                identities=identities or 1,
            )
        )
    return rows


def summary(rows: list[LoadRow]) -> tuple[int, int, float]:
    """(requests, errors, achieved requests per second) over one target's rows."""
    return sum(r.requests for r in rows), sum(r.errors for r in rows), achieved_rate(rows)
