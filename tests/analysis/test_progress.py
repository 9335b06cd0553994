"""How far an analysis has got: each pass tells what it has read, in this process or counted
by worker processes into files this one reads; nobody asking costs nothing and changes
nothing."""

import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis import progress, workers
from twinsight.analysis.progress import (
    EVERY,
    PASSES,
    counting_into,
    read_count,
    telling,
    tracked,
    watching,
)
from twinsight.analysis.proposals.service import store_proposals
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.testing import get_item, recorded, write_store

Told = list[tuple[str, int, int]]


def unasked() -> int:
    raise AssertionError("the total is asked for only when someone is told")


@given(st.integers(0, 3 * EVERY + 5))
def test_a_pass_tells_every_thousand_and_at_its_end(count: int) -> None:
    told: Told = []
    with telling(lambda *said: told.append(said)):
        items = list(tracked("judging", range(count), lambda: count))
    assert items == list(range(count))
    expected = [0, *range(EVERY, count + 1, EVERY), count]
    assert told == [(PASSES["judging"], done, count) for done in expected]


def test_nobody_told_reads_the_items_themselves() -> None:
    items = [1, 2, 3]
    assert tracked("judging", items, unasked) is items
    assert counting_into(None, items) is items
    before = threading.active_count()
    with watching("judging", [], 3):
        assert threading.active_count() == before  # no watcher


def test_a_command_tells_around_what_runs_an_analysis() -> None:
    outer: Told = []
    with telling(lambda *said: outer.append(said)), telling(None):
        list(tracked("evidence", range(3), lambda: 3))
    assert outer[-1] == (PASSES["evidence"], 3, 3)


def test_a_parts_count_is_read_whole_and_zero_before_it_starts(tmp_path: Path) -> None:
    file = tmp_path / "part" / "counted-judging"
    assert read_count(file) == 0
    counted = counting_into(file, range(2 * EVERY + 7))
    for n, _ in enumerate(counted, 1):
        if n == EVERY + 1:
            assert read_count(file) == EVERY
    assert read_count(file) == 2 * EVERY + 7
    assert not file.with_name(f"{file.name}.new").exists()


def test_parts_counted_elsewhere_are_told_summed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "_POLL", 0.01)
    files = [tmp_path / "a", tmp_path / "b"]
    told: Told = []
    with telling(lambda *said: told.append(said)), watching("judging", files, 30):
        files[0].write_text("10")
        time.sleep(0.2)
        files[1].write_text("20")
    assert told[0] == (PASSES["judging"], 0, 30)
    assert (PASSES["judging"], 10, 30) in told
    assert told[-1] == (PASSES["judging"], 30, 30)
    assert [done for _, done, _ in told] == sorted(done for _, done, _ in told)


def store_of(path: Path, count: int) -> Path:
    """`count` GETs; every third differs (the sign of its value)."""
    bodies = ({"legacy": {"v": i}, "candidate": {"v": i if i % 3 else -i}} for i in range(count))
    write_store(path, (get_item(i, b) for i, b in enumerate(bodies)))
    return path


def analysed(path: Path, workers_: int) -> tuple[dict[str, int], Told]:
    told: Told = []
    found = analyze_store(
        path,
        None,
        config=Config(),
        spec=None,
        workers=workers_,
        on_progress=lambda *said: told.append(said),
    )
    return dict(found.counts), told


def test_an_analysis_tells_each_pass_in_order_and_judges_alike(tmp_path: Path) -> None:
    counts, told = analysed(store_of(tmp_path / "told.duckdb", 40), 1)
    names = list(dict.fromkeys(name for name, _, _ in told))
    assert names == [PASSES["evidence"], PASSES["judging"], PASSES["writing"]]
    assert (PASSES["evidence"], 40, 40) in told
    assert (PASSES["judging"], 40, 40) in told
    quiet = store_of(tmp_path / "quiet.duckdb", 40)
    assert dict(analyze_store(quiet, None, config=Config(), spec=None, workers=1).counts) == counts


def test_worker_processes_count_their_parts_for_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    counts, told = analysed(store_of(tmp_path / "store.duckdb", 40), 2)
    assert (PASSES["evidence"], 40, 40) == [t for t in told if t[0] == PASSES["evidence"]][-1]
    assert (PASSES["judging"], 40, 40) == [t for t in told if t[0] == PASSES["judging"]][-1]
    assert counts["unexplained"] == 13  # 3, 6, ..., 39: the sign


@pytest.mark.parametrize("workers_", [1, 2])
def test_each_pass_ends_whole_when_some_exchanges_were_never_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers_: int
) -> None:
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    store = store_of(tmp_path / "store.duckdb", 40)
    write_store(store, (recorded("s", i) for i in range(7)))  # picked, never read: unanswered
    _, told = analysed(store, workers_)
    for name in (PASSES["evidence"], PASSES["judging"]):
        assert (name, 0, 47) in told  # what the pass picks, told as it starts
        assert [t for t in told if t[0] == name][-1] == (name, 40, 40)


def test_propose_tells_it_reads_the_examples_after_the_analysis(tmp_path: Path) -> None:
    told: Told = []
    store = store_of(tmp_path / "store.duckdb", 40)
    with telling(lambda *said: told.append(said)):
        run = store_proposals(store, None, config=Config(), spec=None)
    assert run.proposals
    assert told[-2:] == [(PASSES["writing"], 0, 0), (PASSES["examples"], 0, 0)]
