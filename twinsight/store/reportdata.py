"""What a report reads from a store and its derived tables, as typed rows.

One read-only connection over the capture views (`reader.OpenStore`) with the tables
analysis derived attached beside them, so clusters, differences and classifications join
with the exchanges and answers they came from. Nothing is computed here that a report
could compute from these rows; the SQL only filters, joins, counts and samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from twinsight.identifiers import id_segment_sql
from twinsight.store.info import StoreInfo
from twinsight.store.reader import OpenStore
from twinsight.store.schema import ClusterRow, HeaderList

__all__ = [
    "ExampleAnswer",
    "ExampleExchange",
    "LatencyQuantiles",
    "ReportReader",
    "SideCount",
    "SuppressionCount",
    "TimelineCount",
]

QUANTILES = 101
"""Points of each latency distribution read (0 %, 1 %, ... 100 %): an ECDF, whatever n."""


class ExampleAnswer(NamedTuple):
    """One target's answer to an example exchange."""

    target: str
    status: int | None
    headers: HeaderList | None
    body: bytes | None
    content_type: str | None
    truncated: bool | None
    latency_ms: float | None
    error: str | None


class ExampleExchange(NamedTuple):
    """An exchange shown as an example: the request, every answer, the real differences."""

    id: str
    ts: datetime | None
    method: str
    scheme: str | None
    host: str | None
    path: str
    query: str | None
    headers: HeaderList | None
    body: bytes | None
    answers: list[ExampleAnswer]
    differences: list[tuple[str, str]]  # (location, kind) neither noise nor accepted


class SuppressionCount(NamedTuple):
    """Differences a rule kept from counting: `column` is `noise` or `accepted`, `rule` the
    value analysis recorded there (a rule's where, `where: why`, or the replica)."""

    column: str
    rule: str
    differences: int
    exchanges: int


class LatencyQuantiles(NamedTuple):
    """One endpoint's latency on one target: how many answers, and their quantiles."""

    endpoint: str
    target: str
    samples: int
    quantiles: list[float]  # QUANTILES points, 0 % to 100 %


class TimelineCount(NamedTuple):
    """Exchanges of one classification whose request arrived within one time bucket."""

    bucket: int  # index from the first exchange's time
    classification: str
    exchanges: int


class SideCount(NamedTuple):
    """One endpoint (identifiers folded) on one target: requests, answers, 404/405s."""

    endpoint: str
    target: str
    exchanges: int
    answered: int
    not_found: int


_SEGMENTS = "list_filter(string_split(e.path, '/'), lambda s: s <> '')"
_FOLDED = (
    f"list_transform({_SEGMENTS}, lambda s: CASE WHEN {id_segment_sql('s')} "
    "THEN '{id}' ELSE s END)"
)
_ENDPOINT = f"e.method || ' /' || array_to_string({_FOLDED}, '/')"
_SIDES = f"""
SELECT {_ENDPOINT} AS endpoint, r.target, count(*),
       count(*) FILTER (r.status IS NOT NULL AND r.error IS NULL),
       count(*) FILTER (r.status IN (404, 405))
FROM exchanges e JOIN responses r ON r.exchange_id = e.id
GROUP BY ALL ORDER BY ALL
"""
_EXAMPLES = """
SELECT e.id, e.ts, e.method, e.scheme, e.host, e.path, e.query, e.request_headers,
       e.request_body
FROM exchanges e WHERE list_contains(?, e.id) ORDER BY e.id
"""
_EXAMPLE_ANSWERS = """
SELECT r.exchange_id, r.target, r.status, r.headers, r.body, r.content_type, r.truncated,
       r.latency_ms, r.error
FROM responses r WHERE list_contains(?, r.exchange_id) ORDER BY r.exchange_id, r.target
"""
_EXAMPLE_DIFFERENCES = """
SELECT exchange_id, location, kind FROM {db}.differences
WHERE list_contains(?, exchange_id) AND candidate = ? AND noise IS NULL AND accepted IS NULL
ORDER BY exchange_id, location
"""
_SUPPRESSED = """
SELECT 'noise', noise, count(*), count(DISTINCT exchange_id) FROM {db}.differences
WHERE noise IS NOT NULL AND candidate = ? GROUP BY ALL
UNION ALL
SELECT 'accepted', accepted, count(*), count(DISTINCT exchange_id) FROM {db}.differences
WHERE noise IS NULL AND accepted IS NOT NULL AND candidate = ? GROUP BY ALL
ORDER BY 3 DESC, 1, 2
"""
_LATENCY = """
SELECT c.endpoint, r.target, count(*), quantile_cont(r.latency_ms, ?)
FROM {db}.classifications c JOIN responses r ON r.exchange_id = c.exchange_id
WHERE c.candidate = ? AND r.latency_ms IS NOT NULL AND r.error IS NULL
  AND (r.target = ? OR r.target = c.candidate)
GROUP BY ALL ORDER BY ALL
"""
_TIMELINE = """
WITH judged AS (
  SELECT epoch(e.ts) AS moment, c.classification FROM {db}.classifications c
  JOIN exchanges e ON e.id = c.exchange_id WHERE c.candidate = ? AND e.ts IS NOT NULL),
extent AS (SELECT min(moment) AS first, greatest(max(moment) - min(moment), 1e-6) AS span
           FROM judged)
SELECT least(CAST(floor((moment - first) / span * ?) AS BIGINT), ? - 1) AS bucket,
       classification, count(*)
FROM judged, extent GROUP BY ALL ORDER BY ALL
"""
_EXTENT = """
SELECT min(e.ts), max(e.ts) FROM {db}.classifications c
JOIN exchanges e ON e.id = c.exchange_id WHERE c.candidate = ?
"""


class ReportReader(OpenStore):
    """A store and its derived tables open for a report; close it (or use `with`)."""

    @property
    def analysed(self) -> bool:
        """Whether an analysis has written its tables for this store."""
        return self._derived is not None

    def info(self) -> StoreInfo:
        """Counts, extent and capture completeness counters (as `store info` shows them)."""
        return self._summary(1000)

    def clusters(self, *, limit: int = 50) -> list[ClusterRow]:
        """The largest clusters of real differences analysis recorded, largest first (an
        order-only change after the others); inferred noise is left out."""
        if not self._has("clusters"):
            return []
        sql = (
            f"SELECT * FROM {self._derived}.clusters {self._real_clusters()} "
            "ORDER BY kind = 'order', exchanges DESC, endpoint, location LIMIT ?"
        )
        return [ClusterRow(*row) for row in self._all(sql, [limit])]

    def cluster_total(self) -> tuple[int, int]:
        """(clusters, exchanges in them) over every cluster of real differences recorded."""
        if not self._has("clusters"):
            return 0, 0
        row = self._all(
            f"SELECT count(*), coalesce(sum(exchanges), 0) FROM {self._derived}.clusters "
            + self._real_clusters()
        )
        return int(row[0][0]), int(row[0][1])

    def _real_clusters(self) -> str:
        """The filter leaving out inferred noise, where the clusters table records it."""
        return "WHERE noise IS NULL" if self._has("clusters", "noise") else ""

    def examples(self, ids: Sequence[str], *, candidate: str) -> list[ExampleExchange]:
        """The exchanges `ids`, each with every answer and its real differences for
        `candidate`, in id order."""
        wanted = list(ids)
        answers: dict[str, list[ExampleAnswer]] = {}
        for exchange_id, *answer in self._all(_EXAMPLE_ANSWERS, [wanted]):
            answers.setdefault(exchange_id, []).append(ExampleAnswer(*answer))
        differences: dict[str, list[tuple[str, str]]] = {}
        if self._has("differences"):
            sql = _EXAMPLE_DIFFERENCES.format(db=self._derived)
            for exchange_id, location, kind in self._all(sql, [wanted, candidate]):
                differences.setdefault(exchange_id, []).append((location, kind))
        return [
            ExampleExchange._make((*row, answers.get(row[0], []), differences.get(row[0], [])))
            for row in self._all(_EXAMPLES, [wanted])
        ]

    def suppressions(self, *, candidate: str) -> list[SuppressionCount]:
        """Differences kept from counting, per rule (noise first matched, then accepted)."""
        if not self._has("differences"):
            return []
        sql = _SUPPRESSED.format(db=self._derived)
        return [SuppressionCount(*row) for row in self._all(sql, [candidate, candidate])]

    def latencies(self, *, legacy: str, candidate: str) -> list[LatencyQuantiles]:
        """Per classified endpoint, the answered latencies of `legacy` and `candidate`."""
        if not self._has("classifications"):
            return []
        points = [i / (QUANTILES - 1) for i in range(QUANTILES)]
        sql = _LATENCY.format(db=self._derived)
        return [
            LatencyQuantiles(endpoint, target, int(n), [float(q) for q in quantiles])
            for endpoint, target, n, quantiles in self._all(sql, [points, candidate, legacy])
        ]

    def timeline(self, *, candidate: str, buckets: int = 40) -> list[TimelineCount]:
        """Classifications of `candidate` counted in `buckets` equal spans of capture time."""
        if not self._has("classifications"):
            return []
        sql = _TIMELINE.format(db=self._derived)
        return [TimelineCount(*row) for row in self._all(sql, [candidate, buckets, buckets])]

    def extent(self, *, candidate: str) -> tuple[datetime | None, datetime | None]:
        """When the first and the last classified exchange arrived."""
        if not self._has("classifications"):
            return None, None
        rows = self._all(_EXTENT.format(db=self._derived), [candidate])
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def sides(self) -> list[SideCount]:
        """Per endpoint (identifiers folded) and target: requests, answers, 404/405s."""
        return [SideCount(*row) for row in self._all(_SIDES)]
