"""Load rows at rest: a table written before the per-request columns takes new runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from twinsight.store.loads import LoadRow, latest_load, load_runs, write_load

OLD_COLUMNS = (
    "run VARCHAR, started_at TIMESTAMPTZ, target VARCHAR, base_url VARCHAR, endpoint VARCHAR, "
    "method VARCHAR, requests BIGINT, errors BIGINT, refused BIGINT, statuses VARCHAR, "
    "latencies_ms DOUBLE[], duration_s DOUBLE, users BIGINT, rate DOUBLE"
)


def test_an_earlier_load_results_table_gets_the_new_columns_and_the_new_run(
    tmp_path: Path,
) -> None:
    store = tmp_path / "old.duckdb"
    with duckdb.connect(str(store)) as connection:
        connection.execute(f"CREATE TABLE load_results ({OLD_COLUMNS})")
        connection.execute(
            "INSERT INTO load_results VALUES ('old', TIMESTAMPTZ '2026-01-01 00:00:00+00', "
            "'legacy', 'http://a', 'GET /t', 'GET', 1, 0, 0, '{\"200\": 1}', [1.0], 1.0, 1, NULL)"
        )
    new = LoadRow(
        "new", datetime(2026, 2, 1, tzinfo=UTC), "legacy", "http://a", "GET /t", "GET", 1, 0, 0,
        '{"429": 1}', [1.0], 1.0, 1, None, [0.5], [0], [429], 1,
    )  # fmt: skip
    write_load(store, None, [new])
    assert [run.run for run in load_runs(store, None)] == ["new", "old"]
    (row,) = latest_load(store, None)
    assert (row.sent_ms, row.who, row.codes, row.identities) == ([0.5], [0], [429], 1)
