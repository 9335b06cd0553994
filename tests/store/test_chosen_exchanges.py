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
