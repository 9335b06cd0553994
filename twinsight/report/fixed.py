"""The report's "Fixed since the previous run": the clusters the last run no longer found.

Pure: from `Derived.run_fixes` (what `cluster_history` holds) to a `FixedSince`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from twinsight.store import HistoryRow
from twinsight.store.derived import RunFixes

from .document import FixedCluster, FixedSince
from .namespaces import Namespaces

__all__ = ["fixed_since", "moment"]


def fixed_since(fixes: RunFixes | None, names: Namespaces) -> FixedSince:
    """The clusters of `fixes`, their XML locations and sentences shortened by `names`."""
    if fixes is None:
        return FixedSince()
    return FixedSince(
        last=moment(fixes.last),
        previous=moment(fixes.previous),
        clusters=tuple(_cluster(row, names) for row in fixes.fixed),
    )


def moment(at: datetime | None) -> str:
    """`at` in UTC to the second, ISO 8601 ("" for None)."""
    return at.astimezone(UTC).isoformat(timespec="seconds") if at is not None else ""


def _cluster(row: HistoryRow, names: Namespaces) -> FixedCluster:
    return FixedCluster(
        fingerprint=row.fingerprint,
        endpoints=tuple(row.endpoints or ()),
        location=names.short(row.location),
        kind=row.kind,
        description=names.short(row.description),
        exchanges=row.exchanges,
        seen_at=moment(row.analysed_at),
        noise=row.noise is not None,
    )
