"""Load results at rest: one row per load run, target and endpoint, in the derived tables.

A load run writes a few dozen rows at once (Arrow, one transaction); readers get the
latest run's rows back. The table lives beside analysis's derived tables: it is measured,
not captured, and a store without it simply has no load results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from twinsight.store.columns import Columns
from twinsight.store.derived import Derived
from twinsight.store.files import connect, has_table
from twinsight.store.schema import Table

__all__ = [
    "LOAD_RESULTS",
    "LoadRow",
    "LoadRun",
    "achieved_rate",
    "latest_load",
    "load_run",
    "load_runs",
    "write_load",
]


class LoadRow(NamedTuple):
    """What one target answered on one endpoint during one load run."""

    run: str
    started_at: datetime
    target: str
    base_url: str
    endpoint: str  # "GET /tasks/{id}"
    method: str
    requests: int
    errors: int  # no answer, or a 5xx
    refused: int  # 429: a rate limit at work
    statuses: str  # JSON: {"200": 812, "404": 3}
    latencies_ms: list[float]
    duration_s: float  # the target's whole run, the same on each of its rows
    users: int
    rate: float | None  # the rate asked for (None: as fast as the users go)
    # Per request, in the order of latencies_ms: when it was sent (ms since the target's
    # run began), the identity that sent it, its status (0: no answer). None in stores
    # written before they were kept.
    sent_ms: list[float] | None = None
    who: list[int] | None = None
    codes: list[int] | None = None
    identities: int | None = None  # the identities the run's users held, over the target


LOAD_RESULTS = Table.of("load_results", LoadRow)


class LoadRun(NamedTuple):
    """One load run: when it started and each target's base URL."""

    run: str
    started_at: datetime
    targets: dict[str, str]  # target -> base URL


def achieved_rate(rows: Sequence[LoadRow]) -> float:
    """Requests per second one target's run achieved over all its endpoints."""
    duration = rows[0].duration_s if rows else 0.0
    return sum(r.requests for r in rows) / duration if duration > 0 else 0.0


def write_load(path: Path | None, segments: Path | None, rows: Sequence[LoadRow]) -> None:
    """Add one load run's `rows` to the store's derived tables."""
    columns = Columns(LOAD_RESULTS)
    for row in rows:
        columns.add(row)
    derived = Derived.of(path, segments)
    derived.write([columns], append={LOAD_RESULTS.name})


def latest_load(path: Path | None, segments: Path | None) -> list[LoadRow]:
    """The rows of the latest load run in the store ([] when it has none)."""
    runs = load_runs(path, segments)
    return load_run(path, segments, runs[0].run) if runs else []


def load_runs(path: Path | None, segments: Path | None) -> list[LoadRun]:
    """Every load run in the store, the latest first."""
    query = (
        f"SELECT DISTINCT run, started_at, target, base_url FROM {LOAD_RESULTS.name} "
        "ORDER BY started_at DESC, run, target"
    )
    runs: dict[str, LoadRun] = {}
    for run, started_at, target, base_url in _read(path, segments, query, []):
        runs.setdefault(run, LoadRun(run, started_at, {})).targets[target] = base_url
    return list(runs.values())


def load_run(path: Path | None, segments: Path | None, run: str) -> list[LoadRow]:
    """The rows of load run `run`, by target and endpoint."""
    query = f"SELECT * FROM {LOAD_RESULTS.name} WHERE run = ? ORDER BY target, endpoint"
    return [LoadRow(*row) for row in _read(path, segments, query, [run])]


def _read(
    path: Path | None, segments: Path | None, query: str, params: list[object]
) -> list[tuple[Any, ...]]:
    location = Derived.of(path, segments).location
    if not location.exists():
        return []
    connection = connect(location, read_only=True)
    try:
        if not has_table(connection, LOAD_RESULTS.name):
            return []
        return connection.execute(query, params).fetchall()
    finally:
        connection.close()
