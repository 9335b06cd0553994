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

from twinsight.analysis import pipeline, service
from twinsight.analysis.collect import Analysis
from twinsight.analysis.endpoints import Endpoints
from twinsight.analysis.load import Stored
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.testing import get_item, write_store


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
