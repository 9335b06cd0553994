"""Clusters named and followed run over run, on real DuckDB stores."""

from pathlib import Path

import duckdb

from twinsight.analysis.collect import Analysis
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import Derived

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
    assert _statuses(_run(store)) == {"body.code": "persisting", "body.title": "persisting"}
