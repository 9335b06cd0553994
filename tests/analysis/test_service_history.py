"""Clusters named and followed run over run, on real DuckDB stores."""

from pathlib import Path

import duckdb

from twinsight.analysis.collect import Analysis
from twinsight.analysis.proposals.service import store_proposals
from twinsight.analysis.readiness_service import assess_store
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import Derived
from twinsight.testing import write_store as write

from .test_service import _mixed, written

IGNORE_CODE = Config.model_validate({"normalize": [{"where": "body.code", "compare": "ignore"}]})


def _run(store: Path, config: Config | None = None) -> Analysis:
    return analyze_store(store, None, config=config or Config(), spec=None)


def _statuses(analysis: Analysis) -> dict[str, str]:
    return {c.location: c.status for c in analysis.clusters}


def test_a_cause_is_new_then_persists_then_is_fixed_then_regresses(tmp_path: Path) -> None:
    store = written(tmp_path, _mixed(0, 20))
    first = _run(store)
    assert _statuses(first) == {"body.code": "new", "body.title": "new"}
    names = {c.location: c.fingerprint for c in first.clusters}

    write(store, _mixed(20, 10))
    second = _run(store)
    assert _statuses(second) == {"body.code": "persisting", "body.title": "persisting"}
    assert {c.location: c.fingerprint for c in second.clusters} == names
    assert second.fixed == []

    third = _run(store, IGNORE_CODE)  # the code is no difference any more
    assert _statuses(third) == {"body.title": "persisting"}
    (gone,) = third.fixed
    assert (gone.fingerprint, gone.location, gone.kind) == (
        names["body.code"],
        "body.code",
        "changed",
    )
    assert gone.description.startswith("On GET /items/{id}, body.code differs")
    derived = Derived(store)
    assert derived.fixed_clusters() == [gone]

    fourth = _run(store)
    assert _statuses(fourth) == {"body.code": "regressed", "body.title": "persisting"}
    assert derived.fixed_clusters() == []
    stored = {(r.location, r.fingerprint, r.status) for r in derived.clusters()}
    assert stored == {
        ("body.code", names["body.code"], "regressed"),
        ("body.title", names["body.title"], "persisting"),
    }


def test_a_store_analysed_before_clusters_had_names_reads_and_starts_afresh(
    tmp_path: Path,
) -> None:
    store = written(tmp_path, _mixed(0, 20))
    _run(store)
    with duckdb.connect(str(store)) as connection:
        connection.execute("DROP TABLE cluster_history")
        connection.execute("ALTER TABLE clusters DROP COLUMN status")
        connection.execute("ALTER TABLE clusters DROP COLUMN fingerprint")
    derived = Derived(store)
    assert {(r.location, r.fingerprint) for r in derived.clusters()} == {
        ("body.code", None),
        ("body.title", None),
    }
    assert derived.fixed_clusters() == []
    again = _run(store)
    assert _statuses(again) == {"body.code": "new", "body.title": "new"}
    assert again.recorded  # the first run the store records, though it judged nothing new
    assert _statuses(_run(store)) == {"body.code": "new", "body.title": "new"}
    write(store, _mixed(20, 10))
    assert _statuses(_run(store)) == {"body.code": "persisting", "body.title": "persisting"}


def _runs(store: Path) -> tuple[int, int]:
    """(runs in `cluster_history`, rows of `analysis_runs`) the store records."""
    with duckdb.connect(str(store), read_only=True) as connection:
        row = connection.execute(
            "SELECT (SELECT count(DISTINCT analysed_at) FROM cluster_history), "
            "(SELECT count(*) FROM analysis_runs)"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def _stored_statuses(store: Path) -> dict[str, str | None]:
    return {r.location: r.status for r in Derived(store).clusters()}


def test_report_ready_and_propose_after_analyze_record_no_run_of_their_own(
    tmp_path: Path,
) -> None:
    store = written(tmp_path, _mixed(0, 20))
    assert _run(store).recorded
    for _ in range(2):  # `report` twice, then `ready`: each analyses what is new first
        assess_store(store, None, config=Config(), spec=None)
    store_proposals(store, None, config=Config(), spec=None)
    assert not _run(store).recorded  # `analyze` again, nothing new: a re-read
    assert _runs(store) == (1, 1)
    assert _stored_statuses(store) == {"body.code": "new", "body.title": "new"}

    write(store, _mixed(20, 10))
    later = _run(store)
    assert later.recorded
    assert later.analysed == 10
    assert _runs(store) == (2, 2)
    assert _stored_statuses(store) == {"body.code": "persisting", "body.title": "persisting"}


def test_a_re_read_keeps_what_the_last_run_fixed_and_the_next_compares_with_it(
    tmp_path: Path,
) -> None:
    store = written(tmp_path, _mixed(0, 20))
    _run(store)
    fixing = _run(store, IGNORE_CODE)
    (gone,) = fixing.fixed
    assert gone.location == "body.code"

    reread = _run(store, IGNORE_CODE)  # what `report` does next
    assert not reread.recorded
    assert reread.fixed == [gone]
    assert _statuses(reread) == {"body.title": "persisting"}
    assert Derived(store).fixed_clusters() == [gone]

    write(store, _mixed(20, 10))
    later = _run(store, IGNORE_CODE)  # against the run that fixed the code, not the re-read
    assert later.recorded
    assert later.fixed == []
    assert _statuses(later) == {"body.title": "persisting"}
    assert _runs(store) == (3, 3)


def test_a_full_run_with_nothing_new_is_a_re_read_too(tmp_path: Path) -> None:
    store = written(tmp_path, _mixed(0, 20))
    _run(store)
    again = analyze_store(store, None, config=Config(), spec=None, full=True)
    assert again.analysed == 20
    assert not again.recorded
    assert _statuses(again) == {"body.code": "new", "body.title": "new"}
    assert _runs(store) == (1, 1)
