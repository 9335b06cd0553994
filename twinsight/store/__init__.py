"""Exchanges at rest: the DuckDB schema, Parquet segments, redaction before writing.

A leaf package: it imports nothing from twinsight but `twinsight.errors`.
Producers build `twinsight.records.Exchange` records and hand them to a `StoreWriter`; readers
use `open_store` for SQL views over a DuckDB file, a segment folder, or both.
The tables and every column are described in README.md beside this file.
"""

from twinsight.store.check import StoreCheck, check_store
from twinsight.store.counters import CaptureCounters
from twinsight.store.derived import (
    AnalysisState,
    EarlierCounts,
    analysis_state,
    derived_location,
    earlier_counts,
    earlier_differences,
    scenario_counts,
    write_derived,
)
from twinsight.store.files import StoreError, unreadable_store
from twinsight.store.ids import new_id, stable_id
from twinsight.store.info import StoreInfo, UncleanWriter, store_info
from twinsight.store.reader import (
    earlier_verdicts,
    exchange_rows,
    open_store,
    request_lines,
    targets,
    unanswered,
)
from twinsight.store.redaction import KEY_ENV, Redactor
from twinsight.store.sinks import DuckDBSink, SegmentSink, Sink, Written, absorb_segments
from twinsight.store.writer import StoreWriter, open_writer, writer_name

__all__ = [
    "KEY_ENV",
    "AnalysisState",
    "CaptureCounters",
    "DuckDBSink",
    "EarlierCounts",
    "Redactor",
    "SegmentSink",
    "Sink",
    "StoreCheck",
    "StoreError",
    "StoreInfo",
    "StoreWriter",
    "UncleanWriter",
    "Written",
    "absorb_segments",
    "analysis_state",
    "check_store",
    "derived_location",
    "earlier_counts",
    "earlier_differences",
    "earlier_verdicts",
    "exchange_rows",
    "new_id",
    "open_store",
    "open_writer",
    "request_lines",
    "scenario_counts",
    "stable_id",
    "store_info",
    "targets",
    "unanswered",
    "unreadable_store",
    "write_derived",
    "writer_name",
]
