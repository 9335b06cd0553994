"""The scenario counts kept run by run (`scenario_totals`) add up to every check recorded."""

from __future__ import annotations

from pathlib import Path

import duckdb

from twinsight.analysis.draftread import draft_from_store
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.spec import Spec
from twinsight.store import Derived, new_id
from twinsight.testing import answer, write_store


def items(start: int, count: int) -> list[Exchange]:
    """GET /items/i; every third candidate fails."""
    return [
        Exchange(
            id=new_id(),
            source="proxy",
            method="GET",
            path=f"/items/{i}",
            responses=(
                answer("legacy", {"id": i}),
                answer("candidate", {"id": i}, status=500 if i % 3 == 0 else 200),
            ),
        )
        for i in range(start, start + count)
    ]


def over_every_check(store: Path) -> list[tuple[str, str, int, int]]:
    """The scenario counts computed from every check row, as before totals were kept."""
    with duckdb.connect(str(store), read_only=True) as connection:
        rows = connection.execute(
            "SELECT scenario, target, count(*), count(*) FILTER (passed) FROM "
            "(SELECT exchange_id, candidate, scenario, target, bool_and(passed) AS passed "
            "FROM checks GROUP BY ALL) GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    return [tuple(row) for row in rows]


def counted(store: Path) -> list[tuple[str, str, int, int]]:
    return [tuple(c) for c in Derived(store).scenario_counts()]


def analyse(store: Path, spec: Spec, *, full: bool = False) -> None:
    analyze_store(store, None, config=Config(), spec=spec, full=full, workers=1)


def test_totals_kept_run_by_run_add_up_to_every_check(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, items(0, 12))
    spec = draft_from_store(store, None).draft.spec
    analyse(store, spec)
    write_store(store, items(12, 9))
    analyse(store, spec)  # the new ones only
    analyse(store, spec)  # nothing new
    found = counted(store)
    assert found == over_every_check(store)
    assert ("GET /items/{id} answered 2xx", "candidate", 21, 14) in found

    # A store analysed before totals were kept: its next run totals every check.
    with duckdb.connect(str(store)) as connection:
        connection.execute("DROP TABLE scenario_totals")
    assert counted(store) == found  # read from the checks meanwhile
    write_store(store, items(21, 3))
    analyse(store, spec)
    assert counted(store) == over_every_check(store)
    analyse(store, spec, full=True)  # every check written again: the totals with them
    assert counted(store) == over_every_check(store)
    assert ("GET /items/{id} answered 2xx", "candidate", 24, 16) in counted(store)
