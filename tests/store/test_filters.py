"""The exchanges a filtered pass reads: picked once per open store, the same every time."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.store import Store
from twinsight.store.facade import _within
from twinsight.store.filters import picked
from twinsight.store.partitions import exchange_count, id_cuts
from twinsight.testing import get_item, write_store


def items(start: int, count: int) -> list[Exchange]:
    return [
        get_item(i, {"legacy": {"n": i}, "candidate": {"n": i}})
        for i in range(start, start + count)
    ]


def test_every_read_of_a_filter_picks_the_exchanges_an_earlier_analysis_left(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, items(0, 12))
    analyze_store(store, None, config=Config(), spec=None, workers=1)
    new = items(100, 5)
    write_store(store, new)
    wanted = sorted(e.id for e in new)
    with Store.open(store, None) as opened:
        for only_new, unread in ((True, False), (False, True)):
            ways = {"only_new": only_new, "unread": unread}
            # Twice: the second read starts from the ids the first picked.
            for _ in range(2):
                assert [e.id for e in opened.exchanges(**ways)] == wanted
                assert exchange_count(opened, **ways) == 5
                assert id_cuts(opened, 2, **ways) == [wanted[2]]
        assert dict(opened.paths(unread=True)) == {f"/items/{i}": 1 for i in range(100, 105)}
        assert exchange_count(opened) == 17


@pytest.fixture(scope="module")
def half_analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 exchanges analysed, then 9 more."""
    store = tmp_path_factory.mktemp("filters") / "s.duckdb"
    write_store(store, items(0, 12))
    analyze_store(store, None, config=Config(), spec=None, workers=1)
    write_store(store, items(100, 9))
    return store


@settings(max_examples=40)
@given(data=st.data())
def test_what_a_filter_picks_is_counted_and_ranked_as_over_the_store(
    half_analysed: Path, data: st.DataObject
) -> None:
    # Counted in the picked ids alone, not the store's: the same counts and cuts.
    with Store.open(half_analysed, None) as opened:
        ids = sorted(row[0] for row in opened._rows("SELECT id FROM exchanges"))
        bound = st.none() | st.sampled_from(ids)
        low, high = data.draw(bound), data.draw(bound)
        for ways in ({"only_new": True}, {"unread": True}, {}):
            where, params = _within(picked(opened._connection, **ways), None, low, high)
            every = f"SELECT e.id FROM exchanges e {where.format(column='e.id')} ORDER BY e.id"
            expected = [row[0] for row in opened._rows(every, params=params)]
            assert opened._count(where, params) == len(expected)
            ranks = sorted(data.draw(st.sets(st.integers(1, len(expected) + 2), max_size=4)))
            at = [expected[r - 1] for r in ranks if r <= len(expected)]
            assert opened._ids_at(where, params, ranks) == at
