"""Exchanges at rest: the DuckDB schema, Parquet segments, redaction before writing.

Below analysis and the producers: it imports only the leaves (`errors`, `records`, `events`,
`identifiers`).
Producers build `twinsight.records.Exchange` records and hand them to a `StoreWriter`; readers
open a `Store` (a DuckDB file, a segment folder, or both) and get typed rows back. This is
the only package that imports DuckDB or pyarrow, and the only one with SQL.
The tables are declared in `schema.py`; every capture column is described in README.md.
"""

from twinsight.store.check import StoreCheck, check_store
from twinsight.store.columns import Columns
from twinsight.store.counters import CaptureCounters
from twinsight.store.derived import (
    ClusterPast,
    Derived,
    EarlierCounts,
    ScenarioCount,
)
from twinsight.store.evidence import StoredEvidence
from twinsight.store.facade import (
    RequestOutcome,
    Store,
    StoredAnswer,
    StoredExchange,
    json_value,
    snapshot_rows,
)
from twinsight.store.files import StoreError, segment_folder, unreadable_store
from twinsight.store.ids import new_id, stable_id
from twinsight.store.info import StoreInfo, UncleanWriter, store_info
from twinsight.store.reader import open_store
from twinsight.store.redaction import Redactor
from twinsight.store.schema import (
    CHECKS,
    CLASSIFICATIONS,
    CLUSTER_HISTORY,
    CLUSTER_STATE,
    CLUSTERS,
    DIFFERENCES,
    EVIDENCE,
    EVIDENCE_IDS,
    EVIDENCE_RUNS,
    EVIDENCE_TOKENS,
    AnalysisRun,
    CheckRow,
    ClassificationRow,
    ClusterRow,
    ClusterStateRow,
    DifferenceRow,
    EvidenceRow,
    EvidenceRun,
    HistoryRow,
)
from twinsight.store.sinks import DuckDBSink, SegmentSink, Sink, Written, absorb_segments
from twinsight.store.writer import StoreWriter, open_writer

__all__ = [
    "CHECKS",
    "CLASSIFICATIONS",
    "CLUSTERS",
    "CLUSTER_HISTORY",
    "CLUSTER_STATE",
    "DIFFERENCES",
    "EVIDENCE",
    "EVIDENCE_IDS",
    "EVIDENCE_RUNS",
    "EVIDENCE_TOKENS",
    "AnalysisRun",
    "CaptureCounters",
    "CheckRow",
    "ClassificationRow",
    "ClusterPast",
    "ClusterRow",
    "ClusterStateRow",
    "Columns",
    "Derived",
    "DifferenceRow",
    "DuckDBSink",
    "EarlierCounts",
    "EvidenceRow",
    "EvidenceRun",
    "HistoryRow",
    "Redactor",
    "RequestOutcome",
    "ScenarioCount",
    "SegmentSink",
    "Sink",
    "Store",
    "StoreCheck",
    "StoreError",
    "StoreInfo",
    "StoreWriter",
    "StoredAnswer",
    "StoredEvidence",
    "StoredExchange",
    "UncleanWriter",
    "Written",
    "absorb_segments",
    "check_store",
    "json_value",
    "new_id",
    "open_store",
    "open_writer",
    "segment_folder",
    "snapshot_rows",
    "stable_id",
    "store_info",
    "unreadable_store",
]
