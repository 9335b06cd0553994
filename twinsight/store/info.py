"""`twinsight store info`: what a store holds, by source, target and endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

__all__ = ["StoreInfo", "store_info"]

# Rough endpoints for an overview: numeric, uuid, hex and long-token segments become {id}
# (the shapes of twinsight.spec.looks_like_id, as far as RE2 without lookahead can say).
# Analysis assigns the real endpoints (spec templates first). RE2 has no lookahead, so
# segments are matched with both slashes, twice, to catch neighbours like /1/2.
_ID_SEGMENT = (
    "'/([0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    "|[0-9a-fA-F]{16,}|[A-Za-z0-9_-]{32,})/'"
)


def _fold(sql: str) -> str:
    return f"regexp_replace({sql}, {_ID_SEGMENT}, '/{{id}}/', 'g')"


_FOLDED = _fold(_fold("path || '/'"))
_ENDPOINT_SQL = f"method || ' ' || coalesce(nullif(rtrim({_FOLDED}, '/'), ''), '/')"


@dataclass
class StoreInfo:
    """Counts and extent of a store."""

    exchanges: int = 0
    first: str | None = None
    last: str | None = None
    size_bytes: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, dict[str, int]] = field(default_factory=dict)
    by_endpoint: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


def store_info(
    connection: duckdb.DuckDBPyConnection, paths: list[Path], *, endpoints: int = 20
) -> StoreInfo:
    """Summarise the store open on `connection` (see `open_store`); `paths` give its size."""
    info = StoreInfo(size_bytes=sum(_size(p) for p in paths))
    row = connection.execute("SELECT count(*), min(ts), max(ts) FROM exchanges").fetchone()
    if row:
        info.exchanges = int(row[0])
        info.first, info.last = (str(v) if v is not None else None for v in row[1:])
    info.by_source = _pairs(
        connection, "SELECT source, count(*) FROM exchanges GROUP BY 1 ORDER BY 2 DESC"
    )
    for target, outcome, count in connection.execute(
        "SELECT target, coalesce(error, 'answered'), count(*) FROM responses "
        "WHERE exchange_id IN (SELECT id FROM exchanges) GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    ).fetchall():
        info.by_target.setdefault(target, {})[outcome] = int(count)
    info.by_endpoint = _pairs(
        connection,
        f"SELECT {_ENDPOINT_SQL} AS endpoint, count(*) FROM exchanges "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(endpoints)}",
    )
    # Counters are cumulative per writer: the last row of each name per writer, summed.
    info.counters = _pairs(
        connection,
        "SELECT name, sum(value) FROM (SELECT writer, name, arg_max(value, ts) AS value "
        "FROM capture_counters GROUP BY 1, 2) GROUP BY 1 ORDER BY 1",
    )
    return info


def _pairs(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in connection.execute(sql).fetchall()}


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.glob("*.parquet"))
    return path.stat().st_size if path.exists() else 0
