"""The store's tables, declared once: each is a typed row, and its DuckDB DDL, Arrow schema
and migrations come from that row's fields.

Capture tables (`TABLES`) are described column by column in `README.md` beside this file
(a test keeps the two in step); the tables analysis derives from them (`CLASSIFICATIONS`,
`CHECKS`, `DIFFERENCES`, `CLUSTERS`, `ANALYSIS_RUNS`, `CLUSTER_HISTORY`, and the evidence
kept for the next run: `EVIDENCE`, `EVIDENCE_RUNS`, `EVIDENCE_IDS`, `EVIDENCE_TOKENS`) are
declared below them.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin, get_type_hints

import pyarrow as pa

__all__ = [
    "EVIDENCE",
    "EVIDENCE_IDS",
    "EVIDENCE_RUNS",
    "EVIDENCE_TOKENS",
    "KEYED",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "AnalysisRun",
    "CheckRow",
    "ClassificationRow",
    "ClusterRow",
    "Column",
    "CorrelationRow",
    "CounterRow",
    "DifferenceRow",
    "EvidenceRow",
    "EvidenceRun",
    "ExchangeRow",
    "HeaderList",
    "HistoryRow",
    "ReadRow",
    "ResponseRow",
    "Table",
    "TokenRow",
]


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    arrow: pa.DataType


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what makes a row itself: the store keeps one row per key
    row: type[Any]  # the NamedTuple whose fields are the columns, in order

    @classmethod
    def of(cls, name: str, row: type[Any], key: tuple[str, ...] = ()) -> Table:
        """The table whose columns are the fields of the NamedTuple `row`."""
        hints = get_type_hints(row, include_extras=True)
        columns = tuple(Column(field, *_column_type(hints[field])) for field in row._fields)
        return cls(name, columns, key, row)

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of a batch or Parquet segment of this table."""
        return pa.schema(
            [pa.field(c.name, c.arrow) for c in self.columns],
            metadata={"twinsight_schema_version": str(SCHEMA_VERSION)},
        )

    def create_sql(self) -> str:
        """`CREATE TABLE` for DuckDB."""
        body = ", ".join(f"{c.name} {c.sql}" for c in self.columns)
        keyed = f", PRIMARY KEY ({self.key_sql})" if self.key else ""
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({body}{keyed})"

    @property
    def key_sql(self) -> str:
        """The key columns, comma-separated."""
        return ", ".join(self.key)


_HEADERS = (
    "STRUCT(name VARCHAR, value VARCHAR)[]",
    pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())])),
)
_INT32 = ("INTEGER", pa.int32())
HeaderList = Annotated[list[dict[str, str]], _HEADERS]
"""Header lines in order, each {name, value}."""

_PLAIN: dict[Any, tuple[str, pa.DataType]] = {
    str: ("VARCHAR", pa.string()),
    bytes: ("BLOB", pa.binary()),
    bool: ("BOOLEAN", pa.bool_()),
    int: ("BIGINT", pa.int64()),
    float: ("DOUBLE", pa.float64()),
    datetime: ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
    list[str]: ("VARCHAR[]", pa.list_(pa.string())),
    list[int]: ("BIGINT[]", pa.list_(pa.int64())),
    list[float]: ("DOUBLE[]", pa.list_(pa.float64())),
}


def _column_type(hint: Any) -> tuple[str, pa.DataType]:
    """(DuckDB type, Arrow type) of a row field's annotation; None allowed everywhere."""
    if get_origin(hint) is Annotated:
        _, declared = get_args(hint)
        return declared  # type: ignore[no-any-return]
    if get_origin(hint) in (Union, types.UnionType):
        (hint,) = (arg for arg in get_args(hint) if arg is not type(None))
        return _column_type(hint)
    return _PLAIN[hint]


class ExchangeRow(NamedTuple):
    """One request as stored."""

    id: str
    ts: datetime | None
    source: str | None
    session: str | None
    method: str
    scheme: str | None
    host: str | None
    path: str
    query: str | None
    request_headers: HeaderList | None
    request_body: bytes | None
    request_content_type: str | None
    request_encoding: str | None
    request_size: int | None
    request_sha256: str | None
    request_truncated: bool | None
    origin: str | None
    writer: str | None
    replay_run: str | None
    # What a replay substituted or left out in this request ("no credential for ...");
    # [] for a faithful replay, NULL for what was not replayed and in stores before version 6.
    replay_degraded: list[str] | None = None


class ResponseRow(NamedTuple):
    """One target's answer to one exchange."""

    exchange_id: str
    target: str
    status: Annotated[int | None, _INT32]
    headers: HeaderList | None
    body: bytes | None
    content_type: str | None
    encoding: str | None
    body_size: int | None
    body_sha256: str | None
    truncated: bool | None
    latency_ms: float | None
    error: str | None
    base_url: str | None = None  # NULL in stores older than schema version 4
    sent_at: datetime | None = None  # NULL in stores older than schema version 5


class CorrelationRow(NamedTuple):
    """An identifier the legacy issued and what a target issued in its place."""

    exchange_id: str
    target: str
    location: str
    legacy_value: str | None
    target_value: str | None


class CounterRow(NamedTuple):
    """One capture counter of one writer at one flush."""

    ts: datetime
    writer: str
    name: str
    value: int


EXCHANGES = Table.of("exchanges", ExchangeRow, ("id",))
RESPONSES = Table.of("responses", ResponseRow, ("exchange_id", "target"))
CORRELATIONS = Table.of(
    "correlations", CorrelationRow, ("exchange_id", "target", "location", "legacy_value")
)
CAPTURE_COUNTERS = Table.of("capture_counters", CounterRow, ("writer", "name", "ts"))
TABLES = {t.name: t for t in (EXCHANGES, RESPONSES, CORRELATIONS, CAPTURE_COUNTERS)}


class ClassificationRow(NamedTuple):
    """One exchange's verdict for one candidate."""

    exchange_id: str
    candidate: str
    endpoint: str
    classification: str
    reason: str
    analysed_at: datetime
    features: list[str]


class CheckRow(NamedTuple):
    """One spec line checked against one target's answer."""

    exchange_id: str
    candidate: str
    endpoint: str
    scenario: str
    line: str
    target: str
    passed: bool
    reason: str | None


class DifferenceRow(NamedTuple):
    """One atomic difference; values are JSON text."""

    exchange_id: str
    candidate: str
    endpoint: str
    location: str
    location_group: str
    kind: str
    legacy_value: str | None
    candidate_value: str | None
    noise: str | None
    accepted: str | None


class ClusterRow(NamedTuple):
    """Differences of one cause (kind, location, pattern), grouped over every endpoint it is
    on: `endpoint` is that endpoint, or `*` for several, listed in `endpoints` with their
    exchanges and shares (most affected first). `noise`: the reason, for inferred noise."""

    endpoint: str
    location: str
    kind: str
    pattern: str
    exchanges: int
    share: float
    description: str
    hypotheses: list[str]
    followers: list[str]
    examples: str  # JSON: a few {legacy, candidate} pairs
    exchange_ids: list[str]  # a few of every endpoint
    # Defaults: rows of a store analysed before clusters spanned endpoints still read.
    endpoints: list[str] | None = None
    endpoint_exchanges: list[int] | None = None
    endpoint_shares: list[float] | None = None
    of_endpoints: int = 0  # endpoints analysed
    noise: str | None = None
    # NULL in derived tables written before clusters were named run over run.
    fingerprint: str | None = None  # the cause's name, the same in every run: `c1-...`
    status: str | None = None  # new, persisting or regressed, against earlier runs


class ClusterStateRow(NamedTuple):
    """Part of the clustering the last analysis ended with, kept so the next run starts
    from it rather than from every earlier difference (`twinsight.analysis.cluster_state`)."""

    kind: str  # a cluster's state, or samples of one location's changes
    state: str  # JSON


class AnalysisRun(NamedTuple):
    """What an analysis run was computed with (see `analysis_runs`)."""

    fingerprint: str
    analysed_at: datetime
    exchanges: int


class HistoryRow(NamedTuple):
    """One cluster one analysis run found (see `cluster_history`), as it was then."""

    fingerprint: str
    analysed_at: datetime  # the run's, as in `analysis_runs`
    exchanges: int
    location: str
    kind: str
    pattern: str
    description: str
    noise: str | None
    # NULL in rows recorded before runs kept where each cluster was.
    endpoints: list[str] | None = None  # most affected first


class EvidenceRow(NamedTuple):
    """One fact an analysis read from the legacy's (and the replica's) answers over the
    exchanges in `evidence_ids`, kept so the next run reads only exchanges new to it. Which
    fields a fact fills depends on its `kind` (`twinsight.analysis.kept`)."""

    kind: str
    endpoint: str | None
    location: str | None
    key: bytes | None
    value: bytes | None
    number: int | None


class TokenRow(NamedTuple):
    """An opaque token the legacy served once at a location, as far as the kept evidence
    goes (`evidence_tokens`: only added to; a later run looks its new tokens up there)."""

    endpoint: str
    location: str
    key: bytes  # 8 bytes of the token's digest


class EvidenceRun(NamedTuple):
    """What the kept evidence (`evidence`) was read with (see `evidence_runs`)."""

    version: str  # what every fact depends on: the twinsight version, the facts' layout
    legacy: str  # what the legacy's evidence depends on besides: how endpoints are named
    replica: str | None  # what the replica's tally depends on besides; None: none kept
    exchanges: int  # rows of `evidence_ids` it covers
    replayed: str  # the notes of the refused replays it covers, as they were then


class ReadRow(NamedTuple):
    """An exchange whose answers the kept evidence covers."""

    id: str


CLASSIFICATIONS = Table.of("classifications", ClassificationRow)
CHECKS = Table.of("checks", CheckRow)
DIFFERENCES = Table.of("differences", DifferenceRow)
CLUSTERS = Table.of("clusters", ClusterRow)
CLUSTER_STATE = Table.of("cluster_state", ClusterStateRow)
ANALYSIS_RUNS = Table.of("analysis_runs", AnalysisRun)
CLUSTER_HISTORY = Table.of("cluster_history", HistoryRow)
EVIDENCE = Table.of("evidence", EvidenceRow)
EVIDENCE_RUNS = Table.of("evidence_runs", EvidenceRun)
EVIDENCE_IDS = Table.of("evidence_ids", ReadRow)
EVIDENCE_TOKENS = Table.of("evidence_tokens", TokenRow)

KEYED = "keyed"
"""The migration that gives every table its key; `sinks.migrate` runs it in Python, since it
first removes the extra copies older stores may hold and reports how many."""

# Each migration takes a store from version N-1 to N. Append, never edit. Version 1
# creates the tables as declared now (keys included), so later ones must hold on a store
# that already has what they add: `ADD COLUMN IF NOT EXISTS`, keys added only when absent.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    tuple(table.create_sql() for table in TABLES.values()),
    ("ALTER TABLE exchanges ADD COLUMN IF NOT EXISTS replay_run VARCHAR",),
    (KEYED,),
    ("ALTER TABLE responses ADD COLUMN IF NOT EXISTS base_url VARCHAR",),
    ("ALTER TABLE responses ADD COLUMN IF NOT EXISTS sent_at TIMESTAMPTZ",),
    ("ALTER TABLE exchanges ADD COLUMN IF NOT EXISTS replay_degraded VARCHAR[]",),
)
SCHEMA_VERSION = len(MIGRATIONS)
