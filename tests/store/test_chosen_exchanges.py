from dataclasses import replace
from pathlib import Path

import pytest

from twinsight.store import DuckDBSink, Redactor, Store, StoreWriter, facade
from twinsight.testing import exchange


def test_exchanges_chosen_by_id_or_session(tmp_path: Path) -> None:
    items = [exchange(f"/tasks/{i}") for i in range(6)]
    items[4] = replace(items[4], session="alice")
    items[5] = replace(items[5], session="alice")
    writer = StoreWriter(DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor()).start()
    for item in items:
        assert writer.submit(item)
    writer.close()
    with Store.open(tmp_path / "s.duckdb") as store:
        stored_session = next(e.session for e in store.exchanges() if e.session)
        chosen = store.exchanges(ids=[items[1].id, items[3].id], sessions=[stored_session])
        assert [e.path for e in chosen] == ["/tasks/1", "/tasks/3", "/tasks/4", "/tasks/5"]
        assert all(len(e.answers) == 2 for e in store.exchanges(ids=[items[0].id]))
        assert list(store.exchanges(ids=[])) == []


def test_exchanges_with_only_some_targets_answers(tmp_path: Path) -> None:
    items = [exchange(f"/tasks/{i}") for i in range(4)]
    # One only the candidate answered: nothing of the legacy's to read there.
    items[2] = replace(items[2], responses=items[2].responses[1:])
    writer = StoreWriter(DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor()).start()
    for item in items:
        assert writer.submit(item)
    writer.close()
    with Store.open(tmp_path / "s.duckdb") as store:
        legacy = list(store.exchanges(targets=["legacy"]))
        assert [e.path for e in legacy] == ["/tasks/0", "/tasks/1", "/tasks/3"]
        assert all([a.target for a in e.answers] == ["legacy"] for e in legacy)
        low = sorted(item.id for item in items)[1]
        within = store.exchanges(within=(low, None), targets=["candidate"])
        assert [e.path for e in within] == ["/tasks/1", "/tasks/2", "/tasks/3"]
        assert list(store.exchanges(targets=[])) == []


def test_a_large_store_is_read_in_runs_of_ids_with_nothing_lost_or_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [exchange(f"/tasks/{i}") for i in range(11)]
    items[4] = replace(items[4], responses=items[4].responses[1:])  # the candidate's alone
    writer = StoreWriter(DuckDBSink(tmp_path / "s.duckdb"), redactor=Redactor()).start()
    for item in reversed(items):  # stored out of id order
        assert writer.submit(item)
    writer.close()
    ids = sorted(item.id for item in items)
    with Store.open(tmp_path / "s.duckdb") as store:
        whole = [(e.id, [a.target for a in e.answers]) for e in store.exchanges()]
        assert [i for i, _ in whole] == ids
        for run in (1, 2, 3, 5):
            monkeypatch.setattr(facade, "READ_RUN", run)
            assert len(store._cuts("", None)) == (len(ids) - 1) // run
            read = [(e.id, [a.target for a in e.answers]) for e in store.exchanges()]
            assert read == whole
            within = store.exchanges(within=(ids[2], ids[9]), targets=["legacy"])
            assert [e.id for e in within] == [i for i in ids[2:9] if i != items[4].id]
            assert [e.id for e in store.exchanges(ids=ids[:2])] == ids[:2]
