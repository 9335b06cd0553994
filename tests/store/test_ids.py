"""Exchange ids: UUIDv7 text, unique and ordered in a process, across threads and forks."""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.store import ids
from twinsight.store.ids import new_id, stable_id

FROZEN = 1_764_532_800_123_456_789  # 2025-11-30 20:00:00.123456789 UTC, in ns


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id made in one tick of the clock: only the tail tells them apart."""
    monkeypatch.setattr(ids, "_now", lambda: FROZEN)


def test_ids_are_uuid7_text_holding_their_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    made = [new_id() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after


def test_ids_of_one_process_only_go_up() -> None:
    made = [new_id() for _ in range(20_000)]
    assert all(a < b for a, b in itertools.pairwise(made))


def test_ids_made_in_one_tick_count_up(frozen_clock: None) -> None:
    made = [new_id() for _ in range(5000)]
    assert all(a < b for a, b in itertools.pairwise(made))
    assert {uuid.UUID(i).int >> 64 for i in made} == {uuid.UUID(made[0]).int >> 64}


def test_ids_go_up_when_the_clock_goes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([FROZEN, FROZEN - 10**9, FROZEN - 2 * 10**9, FROZEN + 10**9])
    monkeypatch.setattr(ids, "_now", lambda: next(clock))
    made = [new_id() for _ in range(4)]
    assert made == sorted(made)
    assert len(set(made)) == 4


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads taking turns as often as they can: a tail read by two threads before
    either counted it up shows as the same id twice."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_ids_made_by_threads_at_once_are_unique(frozen_clock: None, busy_switching: None) -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(new_id() for _ in range(20_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for one in made for i in one]
    assert len(set(every)) == len(every) == 80_000
    assert all(one == sorted(one) for one in made)


def _in_children(count: int, make: Callable[[], list[str]]) -> Iterator[list[str]]:
    """What `make` returns in each of `count` forked children of this process."""
    children = []
    for _ in range(count):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its ids through the pipe, then out without cleanup
            try:
                with os.fdopen(write, "w") as out:
                    json.dump(make(), out)
            finally:
                os._exit(0)
        os.close(write)
        children.append((pid, read))
    for pid, read in children:
        with os.fdopen(read) as answer:
            yield json.load(answer)
        os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_never_make_their_parents_ids(frozen_clock: None) -> None:
    # In one tick a child that kept its parent's sequence would count on from the same
    # tail and make the parent's next ids.
    first = [new_id() for _ in range(100)]

    def make() -> list[str]:
        return [new_id() for _ in range(2000)]

    made = [first, *_in_children(3, make), make()]
    every = [i for one in made for i in one]
    assert len(set(every)) == len(every)
    assert all(one == sorted(one) for one in made)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_ids_of_forked_processes_are_unique_and_sort_by_time() -> None:
    def make() -> list[str]:
        return [new_id() for _ in range(5000)]

    made = [*_in_children(2, make), make()]
    every = [i for one in made for i in one]
    assert len(set(every)) == len(every)
    assert all(all(a < b for a, b in itertools.pairwise(one)) for one in made)
    # Across processes the millisecond orders them, as it orders any two ids.
    by_millis = sorted(every, key=lambda i: uuid.UUID(i).int >> 80)
    assert sorted(every) == sorted(by_millis, key=lambda i: uuid.UUID(i).int)


def test_stable_ids_are_what_they_always_were() -> None:
    # Stores already hold these: an import or replay of the same file must find them again.
    at = datetime(2026, 11, 30, 20, 0, 0, 123456, tzinfo=UTC)
    assert stable_id(at, "GET /items/17 #3") == "01a22e0a-f67b-774b-b194-830392729f1c"
    assert stable_id(datetime(1960, 1, 1, tzinfo=UTC), "x") == (
        "00000000-0000-7000-ad71-1642b726b044"
    )


@given(st.datetimes(timezones=st.just(UTC)), st.text(max_size=20))
def test_stable_ids_are_uuid7_text(at: datetime, key: str) -> None:
    made = stable_id(at, key)
    assert made == stable_id(at, key)
    parsed = uuid.UUID(made)
    assert str(parsed) == made
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
