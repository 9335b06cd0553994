"""Rows gathered as Arrow columns, in memory or spilled to Parquet."""

from pathlib import Path
from typing import NamedTuple

from twinsight.store import Columns
from twinsight.store.schema import Table


class Row(NamedTuple):
    n: int
    s: str


def test_columns_spilled_to_parquet_hold_every_row(tmp_path: Path) -> None:
    table = Table.of("rows", Row)
    spilled = Columns(table, batch=2, spill=tmp_path / "rows.parquet")
    kept = Columns(table, batch=2)
    for n in range(5):
        spilled.add(Row(n, str(n)))
        kept.add(Row(n, str(n)))
    assert spilled.source() == tmp_path / "rows.parquet"
    assert spilled.table().equals(kept.table())
    assert Columns(table, spill=tmp_path / "none.parquet").table().num_rows == 0
