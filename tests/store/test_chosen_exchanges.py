from dataclasses import replace
from pathlib import Path

from twinsight.store import DuckDBSink, Redactor, Store, StoreWriter
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
