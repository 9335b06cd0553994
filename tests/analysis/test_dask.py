"""Judging on a Dask cluster (`--dask`) gives what one process gives: every row of every
derived table in the same order, the counts, clusters and samples; the replica's noise
counted in parts and merged. A real `LocalCluster` of two processes on loopback."""

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.analysis.test_workers import rows, summary, synthetic
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.spec import Spec, load_spec
from twinsight.testing import write_store

distributed = pytest.importorskip("distributed")

from tests.analysis.test_evidence_parts import legacy_answers  # noqa: E402
from tests.analysis.test_verdicts_in_parts import json_lines  # noqa: E402
from twinsight.analysis import service  # noqa: E402
from twinsight.analysis.cluster import DaskAddress, DaskPool, dask_client  # noqa: E402
from twinsight.analysis.judge import Judge  # noqa: E402
from twinsight.analysis.load import read_exchanges  # noqa: E402
from twinsight.analysis.pipeline import LegacyTally  # noqa: E402
from twinsight.analysis.service import analyze_store  # noqa: E402
from twinsight.store import Store  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes of one thread each, started once for this module."""
    with dask_client(DaskAddress.of("local:2")) as started:
        yield started


def both_ways(
    store: Path, tmp_path: Path, client: Any, config: Config, spec: Spec | None
) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[int, int]]]:
    """(one process, on the cluster, the parts the cluster finished), each on its own copy."""
    finished: list[tuple[int, int]] = []
    pool = DaskPool(client, min_per_worker=1, on_part=lambda *done: finished.append(done))
    found = []
    for name, workers, kept in (("alone", 1, None), ("dask", None, pool)):
        copy = tmp_path / f"{name}.duckdb"
        shutil.copy(store, copy)
        analysis = analyze_store(copy, None, config=config, spec=spec, workers=workers, pool=kept)
        found.append((summary(analysis), rows(copy)))
    return found[0], found[1], finished


def test_the_example_traffic_is_judged_alike_on_a_cluster(tmp_path: Path, client: Any) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store))
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    alone, parallel, finished = both_ways(store, tmp_path, client, config, spec)
    assert alone[0][0]["regression"] > 0  # the example's divergences were found at all
    assert parallel == alone
    assert finished[-1] == (2, 2)  # judged in two parts, not in this process


def test_a_store_of_repeats_with_a_replica_is_judged_alike_on_a_cluster(
    tmp_path: Path, client: Any
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(300, seed=3))
    alone, parallel, finished = both_ways(store, tmp_path, client, Config(), None)
    assert alone[0][1]  # some clusters to compare
    assert parallel == alone
    # The legacy's evidence, the replica's tally, then the judging: two parts each.
    assert finished == [(1, 2), (2, 2)] * 3


def test_evidence_that_lies_across_the_parts_is_read_on_the_cluster(
    tmp_path: Path, client: Any
) -> None:
    store = tmp_path / "s.duckdb"
    # Each request once per part: shuffled tags and repeated etags show only when merged.
    write_store(store, legacy_answers(12, seed=2))
    pool = DaskPool(client, min_per_worker=1)
    with Store.open(store, None) as opened:
        endpoints = service.endpoints_of(opened, None)
        whole = LegacyTally()
        whole.add(read_exchanges(opened), endpoints)
        alone = whole.evidence()
        run = service._Run(store, None, tmp_path, None, {}, pool=pool)
        parts = service._parts(opened, Judge(), endpoints, run, only_new=False)
    assert len(parts) == 2
    assert alone.unstable.locations == {("GET /items/{id}", "body.tags")}
    assert pool.evidence(parts).evidence() == alone
    first, parallel, finished = both_ways(store, tmp_path, client, Config(), None)
    assert parallel == first
    assert finished == [(1, 2), (2, 2)] * 2  # the evidence, then the judging


def test_verdicts_are_told_alike_from_a_cluster(tmp_path: Path, client: Any) -> None:
    # `analyze --json` on a cluster: each part's verdicts come back with its rows.
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(120, seed=4))
    finished: list[tuple[int, int]] = []
    pool = DaskPool(client, min_per_worker=1, on_part=lambda *done: finished.append(done))
    alone = json_lines(store, tmp_path, "alone", Config(), None, workers=1)
    parallel = json_lines(store, tmp_path, "dask", Config(), None, pool=pool)
    assert alone.count(b"\n") == 120
    assert parallel == alone
    assert finished == [(1, 2), (2, 2)] * 3  # evidence, replica, judging: two parts each
