"""`twinsight analyze --json` with `--workers N` or `--dask local:N`: the store is judged in
parts (not quietly in one process) and the lines are one process's, byte for byte, in the
same order, to a file or to standard output. In this process, so a few hundred exchanges
make parts (the 10,000 a worker needs is lowered)."""

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.analysis.test_workers import synthetic
from twinsight.analysis import service, workers
from twinsight.cli.app import app
from twinsight.testing import write_store


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """How many parts each judging in worker processes had (none: judged here)."""
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    monkeypatch.chdir(tmp_path)  # no twinsight.toml of the checkout's
    judged: list[int] = []

    def counted(given: Sequence[workers.Part]) -> list[workers.Gathered]:
        judged.append(len(given))
        return workers.judge_parts(given)

    monkeypatch.setattr(service, "judge_parts", counted)
    return judged


def analyze(store: Path, name: str, *flags: str) -> bytes:
    """The `--json -` lines of `analyze` on a copy of `store` named `name`."""
    copy = store.with_name(f"{name}.duckdb")
    shutil.copy(store, copy)
    args = ["analyze", "--store", str(copy), "--full", "--json", "-", *flags]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "exchange(s) analysed" in result.stderr  # the report beside the lines
    return result.stdout_bytes


def a_store(tmp_path: Path) -> Path:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(200, seed=7))
    return store


def test_lines_from_worker_processes_are_one_process_lines(
    tmp_path: Path, parts: list[int]
) -> None:
    store = a_store(tmp_path)
    alone = analyze(store, "alone", "--workers", "1")
    parallel = analyze(store, "parallel", "--workers", "2")
    assert parts == [2]  # judged in two processes, not here
    assert alone.count(b"\n") == 200
    assert parallel == alone


def test_lines_from_a_local_cluster_are_one_process_lines(
    tmp_path: Path, parts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    from twinsight.analysis.cluster import DaskPool

    on_cluster: list[int] = []
    judge = DaskPool.judge

    def counted(pool: DaskPool, given: Sequence[workers.Part]) -> list[workers.Gathered]:
        on_cluster.append(len(given))
        return judge(pool, given)

    monkeypatch.setattr(DaskPool, "judge", counted)
    store = a_store(tmp_path)
    alone = analyze(store, "alone", "--workers", "1")
    parallel = analyze(store, "dask", "--dask", "local:2")
    assert on_cluster == [2]  # judged in two tasks
    assert parts == []  # and not in worker processes
    assert alone.count(b"\n") == 200
    assert parallel == alone
