"""The exchanges a filtered pass reads: picked once per open store, the same every time."""

from pathlib import Path

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.store import Store
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
