"""What a reader's DuckDB holds: a worker's reader is kept lean, and a reader about to wait
hands back what it cached."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from twinsight.store import Store
from twinsight.store.reader import READER_MEMORY_LIMIT, WORKER_MEMORY_LIMIT
from twinsight.testing import get_item, write_store


def duckdb_held(store: Store) -> int:
    """Bytes DuckDB holds in `store`'s connection, cached blocks of the file included."""
    connection: duckdb.DuckDBPyConnection = store._connection
    held = connection.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    assert held is not None
    return int(held[0])


def settings(store: Store | duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(memory limit, threads), as DuckDB shows them."""
    connection = store._connection if isinstance(store, Store) else store
    found = connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    assert found is not None
    return str(found[0]), str(found[1])


@pytest.fixture(scope="module")
def bulky_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~30 MB of bodies that no codec shrinks much."""
    path = tmp_path_factory.mktemp("bulky") / "store.duckdb"
    rng = random.Random(7)
    write_store(
        path,
        (get_item(i, {"legacy": rng.randbytes(10_000).hex(), "candidate": i}) for i in range(3000)),
    )
    return path


def test_a_reader_about_to_wait_hands_back_what_it_cached_and_reads_on(bulky_store: Path) -> None:
    with Store.open(bulky_store) as store:
        before = settings(store)
        read = store._connection.execute("SELECT sum(octet_length(body)) FROM responses").fetchone()
        assert read is not None
        assert read[0] > 50_000_000
        cached = duckdb_held(store)
        assert cached > 20_000_000  # else there was nothing to hand back
        store.release_memory()
        assert duckdb_held(store) < min(cached / 2, 17_000_000)
        assert settings(store) == before  # the limit is back: later reads are not starved
        assert sum(1 for _ in store.exchanges()) == 3000


def test_a_run_of_exchanges_read_leaves_nothing_cached_behind(bulky_store: Path) -> None:
    # Read in id order, none of a run's blocks is read again: a pass over a large store
    # would hold ever more of it.
    with Store.open(bulky_store) as store:
        before = settings(store)
        assert sum(len(a.body or b"") for e in store.exchanges() for a in e.answers) > 50_000_000
        assert duckdb_held(store) < 17_000_000
        assert settings(store) == before


def test_a_workers_reader_reads_on_one_thread_within_a_smaller_limit(bulky_store: Path) -> None:
    shown = {
        limit: settings(duckdb.connect(config={"memory_limit": limit}))[0]
        for limit in (READER_MEMORY_LIMIT, WORKER_MEMORY_LIMIT)
    }
    with Store.open(bulky_store) as parent, Store.open(bulky_store, worker=True) as worker:
        assert settings(parent)[0] == shown[READER_MEMORY_LIMIT]
        assert settings(worker) == (shown[WORKER_MEMORY_LIMIT], "1")
        assert sum(1 for _ in worker.exchanges()) == 3000
