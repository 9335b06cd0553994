"""One analysis's passes over the parts share one pool of worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.analysis.test_workers import synthetic
from twinsight.analysis import service, workers
from twinsight.config import Config
from twinsight.testing import write_store


def test_the_passes_of_one_analysis_run_in_one_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    alive: dict[str, set[int | None]] = {}

    def watched(name: str, run: Callable[[Sequence[workers.Part]], Any]) -> None:
        def passed(parts: Sequence[workers.Part]) -> Any:
            done = run(parts)
            # A pool of the pass's own has ended by now: its processes are gone.
            alive[name] = {p.pid for p in multiprocessing.active_children()}
            return done

        monkeypatch.setattr(service, name, passed)

    watched("evidence_parts", workers.evidence_parts)
    watched("tally_parts", workers.tally_parts)
    watched("judge_parts", workers.judge_parts)
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(60, seed=1))  # answered by a replica: three passes
    service.analyze_store(store, None, config=Config(), spec=None, workers=2)
    assert set(alive) == {"evidence_parts", "tally_parts", "judge_parts"}
    pids = alive["evidence_parts"]
    assert 1 <= len(pids) <= 2
    assert alive["tally_parts"] == pids
    assert alive["judge_parts"] == pids
    assert not multiprocessing.active_children()  # the pool ended with the analysis


def test_parts_outside_an_analysis_get_a_pool_of_their_own(tmp_path: Path) -> None:
    with workers.processes(2):
        assert workers._SHARED.get() is not None
    assert workers._SHARED.get() is None
    with workers.processes(1):
        assert workers._SHARED.get() is None  # one process: no pool at all


def test_a_store_too_small_for_workers_starts_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(30, seed=3))
    made: list[int] = []
    real = workers.ProcessPoolExecutor

    def counted(size: int, **options: Any) -> Any:
        made.append(size)  # even an idle pool starts multiprocessing's resource tracker
        return real(size, **options)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", counted)
    service.analyze_store(store, None, config=Config(), spec=None, workers=2)
    assert made == []
