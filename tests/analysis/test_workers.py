"""Judging in worker processes gives what one process gives: every row of every derived
table in the same order, the counts, clusters, proposals and what was left out."""

import asyncio
import random
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from twinsight.analysis import service, workers
from twinsight.analysis.collect import Analysis
from twinsight.analysis.pipeline import LegacyTally, ReplicaTally
from twinsight.analysis.service import analyze_store
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.records import Exchange
from twinsight.spec import Spec, load_spec
from twinsight.testing import get_item, write_store

TABLES = ("classifications", "differences", "checks", "clusters")


def rows(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table's rows in stored order, the run's time left out."""
    with duckdb.connect(str(store), read_only=True) as connection:
        found = {}
        for table in TABLES:
            names = [c[0] for c in connection.execute(f"DESCRIBE {table}").fetchall()]
            kept = ", ".join(f'"{n}"' for n in names if n != "analysed_at")
            found[table] = connection.execute(f"SELECT {kept} FROM {table}").fetchall()
        return found


def summary(analysis: Analysis) -> tuple[Any, ...]:
    """What a run decided, beside its tables."""
    return (
        dict(analysis.counts),
        analysis.clusters,
        analysis.volatile,
        dict(analysis.left_out),
        analysis.analysed,
    )


def both_ways(
    store: Path, tmp_path: Path, count: int, config: Config, spec: Spec | None
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(one process, `count` workers): each run's summary and tables on its own copy."""
    found = []
    for n in (1, count):
        copy = tmp_path / f"with-{n}.duckdb"
        shutil.copy(store, copy)
        analysis = analyze_store(copy, None, config=config, spec=spec, workers=n)
        found.append((summary(analysis), rows(copy)))
    return found[0], found[1]


@pytest.fixture
def tiny_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[int]]]:
    """Workers for a store of a few exchanges, so every part and cut is exercised; yields
    how many parts each parallel pass had, by pass (a run judged or read in one process fails)."""
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    runs: dict[str, list[int]] = {"judge": [], "replica": [], "evidence": []}

    def judged(parts: Sequence[workers.Part]) -> list[workers.Gathered]:
        runs["judge"].append(len(parts))
        return workers.judge_parts(parts)

    def tallied(parts: Sequence[workers.Part]) -> ReplicaTally:
        runs["replica"].append(len(parts))
        return workers.tally_parts(parts)

    def read(parts: Sequence[workers.Part]) -> LegacyTally:
        runs["evidence"].append(len(parts))
        return workers.evidence_parts(parts)

    monkeypatch.setattr(service, "judge_parts", judged)
    monkeypatch.setattr(service, "tally_parts", tallied)
    monkeypatch.setattr(service, "evidence_parts", read)
    yield runs
    assert runs["judge"]
    assert runs["evidence"]
    assert all(n > 1 for n in runs["judge"] + runs["replica"] + runs["evidence"])


@pytest.mark.usefixtures("tiny_parts")
@pytest.mark.parametrize("count", [2, 5])
def test_the_example_traffic_is_judged_alike_in_workers(tmp_path: Path, count: int) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store))
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    alone, parallel = both_ways(store, tmp_path, count, config, spec)
    assert alone[0][0]["regression"] > 0  # the example's divergences were found at all
    assert parallel == alone


def synthetic(n: int, seed: int) -> list[Exchange]:
    """Items answered by a legacy, a replica and a candidate: repeats of a few bodies, a
    noisy field, some real differences."""
    rng = random.Random(seed)
    found = []
    for _ in range(n):
        item = rng.randrange(5)  # the same few requests again and again
        bodies = {t: {"item": item, "coin": rng.choice("ab")} for t in ("legacy", "replica")}
        bodies["candidate"] = {"item": item, "coin": rng.choice("ab")}
        if rng.random() < 0.2:
            bodies["candidate"]["item"] = rng.choice([-1, "x", None])
        found.append(get_item(item, bodies))
    return found


def test_a_store_of_repeats_with_a_replica_is_judged_alike_in_workers(
    tmp_path: Path, tiny_parts: dict[str, list[int]]
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(300, seed=3))
    alone, parallel = both_ways(store, tmp_path, 3, Config(), None)
    assert alone[0][1]  # some clusters to compare
    assert parallel == alone
    assert tiny_parts["replica"] == [3]  # the replica's noise was counted in parts too


@pytest.mark.usefixtures("tiny_parts")
def test_only_new_exchanges_are_judged_alike_in_workers(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(120, seed=5))
    analyze_store(store, None, config=Config(), spec=None, workers=1)
    write_store(store, synthetic(90, seed=6))
    alone, parallel = both_ways(store, tmp_path, 2, Config(), None)
    assert 0 < alone[0][4] < 210  # the second run judged only what was new
    assert parallel == alone


def test_a_small_store_stays_in_one_process() -> None:
    assert workers.worker_count(2, workers.MIN_PER_WORKER * 2 - 1) == 1
    assert workers.worker_count(2, workers.MIN_PER_WORKER * 2) == 2
    assert workers.worker_count(1, 10 * workers.MIN_PER_WORKER) == 1
    assert workers.worker_count(None, 10 * workers.MIN_PER_WORKER) == 1  # analyze_store asks


def test_by_default_a_worker_judges_per_cpu_this_process_may_use(
    tmp_path: Path, tiny_parts: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "usable_cores", lambda: 3)
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(30, seed=7))
    analyze_store(store, None, config=Config(), spec=None)
    assert tiny_parts["judge"] == [3]
