"""An incremental analysis reads only the exchanges new to the evidence it kept, and decides
as a run over every exchange would."""

import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from twinsight.analysis import pipeline, service, workers
from twinsight.analysis.collect import Analysis
from twinsight.analysis.endpoints import Endpoints
from twinsight.analysis.load import Stored
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.store import SegmentSink
from twinsight.testing import answer, get_item, write_store


def nonce(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def with_nonces(start: int, count: int, *, seed: int, legacy: str | None = None) -> list[Exchange]:
    """Items each side answers with a fresh nonce (opaque noise), unless the legacy serves
    `legacy` again (a deterministic token: then every nonce difference is real)."""
    rng = random.Random(seed)
    found = []
    for i in range(start, start + count):
        served = legacy or nonce(rng)
        bodies = {"legacy": {"item": i, "nonce": served}, "candidate": {"item": i}}
        bodies["candidate"]["nonce"] = nonce(rng)
        found.append(get_item(i, bodies))
    return found


@pytest.fixture
def legacy_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many legacy answers each analysis read for the legacy's evidence."""
    counts: list[int] = []
    add = pipeline.LegacyTally.add

    def counted(tally: pipeline.LegacyTally, exchanges: Iterable[Stored], endpoints: Any) -> None:
        seen = []

        def through() -> Iterator[Stored]:
            for stored in exchanges:
                seen.append(1)
                yield stored

        add(tally, through(), endpoints)
        counts.append(len(seen))

    monkeypatch.setattr(pipeline.LegacyTally, "add", counted)
    return counts


def analyze(store: Path, **options: Any) -> Analysis:
    return analyze_store(store, None, config=Config(), spec=None, **options)


def shown(analysis: Analysis) -> dict[str, int]:
    """The classifications an analysis counted any of."""
    return {name: count for name, count in analysis.counts.items() if count}


def derived(store: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(store), read_only=True) as connection:
        return connection.execute(
            "SELECT exchange_id, classification, reason FROM classifications ORDER BY ALL"
        ).fetchall()


def test_a_second_run_reads_only_the_new_exchanges_evidence(
    tmp_path: Path, legacy_read: list[int]
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, with_nonces(0, 30, seed=1))
    analyze(store)
    analyze(store)  # nothing new: nothing read
    write_store(store, with_nonces(30, 12, seed=2))
    analyze(store)
    assert legacy_read == [30, 0, 12]
    analyze(store, full=True)
    assert legacy_read[-1] == 42


def test_a_second_run_learns_only_the_new_exchanges_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    learned: list[int] = []
    learn = Endpoints.learn_paths

    def counted(endpoints: Endpoints, paths: Iterable[tuple[str, int]]) -> None:
        found = list(paths)
        learned.append(sum(times for _, times in found))
        learn(endpoints, found)

    monkeypatch.setattr(Endpoints, "learn_paths", counted)
    store = tmp_path / "s.duckdb"
    write_store(store, with_nonces(0, 30, seed=1))
    analyze(store)
    write_store(store, [replace(e, path="/items/1") for e in with_nonces(30, 12, seed=2)])
    later = analyze(store)
    assert learned == [30, 12]
    assert later.counts["noise"] == 42


def test_kept_tokens_are_only_added_to(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, with_nonces(0, 30, seed=1))
    analyze(store)
    write_store(store, with_nonces(30, 12, seed=2))
    analyze(store)
    with duckdb.connect(str(store), read_only=True) as connection:
        (tokens,) = connection.execute("SELECT count(*) FROM evidence_tokens").fetchone() or ()
        (facts,) = (
            connection.execute("SELECT count(*) FROM evidence WHERE kind = 'token'").fetchone()
            or ()
        )
    assert (tokens, facts) == (42, 0)  # each legacy answer's nonce, once


def test_a_token_served_again_after_a_run_is_known_repeated(
    tmp_path: Path, legacy_read: list[int]
) -> None:
    store = tmp_path / "s.duckdb"
    first = with_nonces(0, 20, seed=3)
    write_store(store, first)
    assert analyze(store).counts["unexplained"] == 0  # fresh nonces: opaque noise
    served = first[0].responses[0].body.data.split(b'"nonce":"')[1][:36].decode()
    write_store(store, with_nonces(20, 1, seed=4, legacy=served))
    later = analyze(store)
    assert legacy_read[-1] == 1
    # Served twice, the legacy's nonce is no nonce: every difference there is real.
    assert later.counts["unexplained"] == 21
    incremental = derived(store)
    assert analyze(store, full=True).counts == later.counts
    assert derived(store) == incremental


def shuffled_list(i: int, order: list[str]) -> Exchange:
    bodies = {"legacy": {"tags": order}, "candidate": {"tags": ["a", "b", "c"]}}
    return get_item(i, bodies)


def test_a_set_the_legacy_serves_in_another_order_after_a_run_is_known_unstable(
    tmp_path: Path, legacy_read: list[int]
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, [shuffled_list(i, ["a", "b", "c"]) for i in range(3)])
    assert analyze(store).counts["match"] == 3
    write_store(store, [shuffled_list(1, ["c", "a", "b"])])  # the same request, another order
    later = analyze(store)
    assert legacy_read[-1] == 1
    assert later.counts["noise"] == 1  # the order is the legacy's own
    assert analyze(store, full=True).counts == later.counts


def test_endpoints_named_anew_read_every_exchange_again(
    tmp_path: Path, legacy_read: list[int]
) -> None:
    store = tmp_path / "s.duckdb"
    records = [("intro", 0), ("tips", 1)]
    write_store(store, [_record(name, i) for name, i in records])
    analyze(store)
    # Enough names under /records now that it is a parameter: earlier requests change name.
    write_store(store, [_record(name, i) for i, name in enumerate(["faq", "a", "b", "c"], 2)])
    analyze(store)
    assert legacy_read == [2, 6]


def _record(name: str, i: int) -> Exchange:
    found = get_item(i, {"legacy": {"name": name}, "candidate": {"name": name}})
    return replace(found, path=f"/records/{name}")


def with_replica(start: int, count: int, seed: int) -> list[Exchange]:
    """Items whose `coin` is random per answer, the replica's too; a few real differences."""
    rng = random.Random(seed)
    found = []
    for i in range(start, start + count):
        bodies = {t: {"coin": rng.choice("ab"), "item": i} for t in ("legacy", "replica")}
        bodies["candidate"] = {"coin": rng.choice("ab"), "item": -1 if i % 25 == 0 else i}
        found.append(get_item(i, bodies))
    return found


def test_the_replica_counts_kept_add_up_to_a_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int] = []
    stream = service.replica_stream

    def counting(exchanges: Iterable[Stored], *args: Any) -> Iterator[Any]:
        found = list(stream(exchanges, *args))
        counted.append(len(found))
        return iter(found)

    monkeypatch.setattr(service, "replica_stream", counting)
    store = tmp_path / "s.duckdb"
    write_store(store, with_replica(0, 100, seed=1))
    analyze(store)
    write_store(store, with_replica(100, 100, seed=2))
    later = analyze(store)
    assert counted == [100, 100]
    incremental = derived(store)
    full = analyze(store, full=True)
    assert counted[-1] == 200
    assert full.counts == later.counts
    assert full.counts["unexplained"] == 8  # body.item; the coin is the replica's noise too
    assert derived(store) == incremental


def test_a_segment_written_while_workers_read_is_left_to_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    segments = tmp_path / "segments"
    write_store(SegmentSink(segments, "w1"), with_nonces(0, 20, seed=1))
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    parts = service._parts
    landed: list[bool] = []

    def racing(*args: Any, **options: Any) -> list[workers.Part]:
        found = parts(*args, **options)
        if found and not landed:  # a capture flushes a batch after the run opened the store
            landed.append(True)
            write_store(SegmentSink(segments, "w2"), with_nonces(20, 1, seed=2))
        return found

    monkeypatch.setattr(service, "_parts", racing)

    def analyze(**options: Any) -> Analysis:
        return analyze_store(None, segments, config=Config(), spec=None, workers=2, **options)

    first = analyze()
    assert sum(first.counts.values()) == 20  # what the run opened, in every part
    later = analyze()
    assert shown(later) == shown(analyze(full=True)) == {"noise": 21}


def test_kept_evidence_of_exchanges_no_longer_stored_is_read_again(tmp_path: Path) -> None:
    segments = tmp_path / "segments"
    served = "0b6f0a4e-5d57-4c8e-9d0b-1f2e3d4c5b6a"
    write_store(SegmentSink(segments, "old"), with_nonces(0, 1, seed=1, legacy=served))
    write_store(SegmentSink(segments, "new"), with_nonces(1, 10, seed=2))
    write_store(SegmentSink(segments, "new2"), with_nonces(11, 1, seed=3, legacy=served))

    def analyze(**options: Any) -> Analysis:
        return analyze_store(None, segments, config=Config(), spec=None, **options)

    assert shown(analyze()) == {"unexplained": 12}  # one served twice: no nonce there
    for old in segments.glob("*-old-*.parquet"):
        old.unlink()  # retention removed the first segment
    write_store(SegmentSink(segments, "newer"), with_nonces(12, 1, seed=4))
    assert shown(analyze()) == shown(analyze(full=True)) == {"noise": 12}


@pytest.mark.parametrize(
    "spoiled",
    [
        "UPDATE evidence SET location = NULL WHERE kind = 'path'",
        "INSERT INTO evidence VALUES ('repeated', NULL, 'body.x', NULL, NULL, NULL)",
        "INSERT INTO evidence VALUES ('token', 'GET /x', 'body.x', '\\x01\\x02'::BLOB, NULL, NULL)",
        "INSERT INTO evidence VALUES ('order', 'GET /items/{id}', NULL, NULL, NULL, NULL)",
        "INSERT INTO evidence VALUES ('path', NULL, NULL, NULL, NULL, 3)",
        "INSERT INTO evidence VALUES ('replica raw', 'GET /x', 'body.x', NULL, NULL, NULL)",
        "INSERT INTO evidence VALUES ('a kind of a later version', NULL, NULL, NULL, NULL, NULL)",
    ],
)
def test_kept_facts_not_whole_are_read_again_from_every_exchange(
    tmp_path: Path, legacy_read: list[int], spoiled: str
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, with_nonces(0, 5, seed=1))
    analyze(store)
    with duckdb.connect(str(store)) as connection:
        connection.execute(spoiled)
    write_store(store, with_nonces(5, 2, seed=2))
    assert shown(analyze(store)) == {"noise": 7}
    assert legacy_read == [5, 7]


def refused_replays(count: int, targets: Iterable[str]) -> tuple[list[Exchange], list[Exchange]]:
    """Recordings (the legacy's 200, imported) and their replays, which every target refused
    (401: replayed without the credentials the recordings had)."""
    recordings = [replace(get_item(i, {"legacy": {"n": 1}}), source="import") for i in range(count)]
    refused = {"legacy": {"n": 1}, "candidate": {"n": 2}, "replica": {"n": 3}}
    replays = [
        replace(
            get_item(i, {}),
            path=recording.path,
            source="replay",
            origin=recording.id,
            run="r1",
            responses=tuple(answer(t, refused[t], status=401) for t in targets),
            replay_degraded=(),
        )
        for i, recording in enumerate(recordings)
    ]
    return recordings, replays


@pytest.mark.parametrize("targets", [("legacy", "candidate"), ("legacy", "candidate", "replica")])
def test_a_recording_imported_after_its_refused_replay_was_judged_judges_it_again(
    tmp_path: Path, targets: tuple[str, ...]
) -> None:
    store = tmp_path / "s.duckdb"
    recordings, replays = refused_replays(6, targets)
    write_store(store, replays)
    analyze(store)  # the recordings are not in the store: the replays are judged as they are
    bodies = {"legacy": {"n": 10}, "candidate": {"n": 11}, "replica": {"n": 10}}
    fresh = get_item(100, {t: bodies[t] for t in targets})
    write_store(store, [*recordings, fresh])
    later = shown(analyze(store))
    assert later["not_comparable"] == 6  # each recording was a 200: the 401s are no answers
    assert later == shown(analyze(store, full=True))
    write_store(store, [get_item(101, {t: bodies[t] for t in targets})])
    assert analyze(store).analysed == 1  # notes as judged: only the new exchange is
