"""`twinsight analyze --dask`: a local cluster reports as one process does; a scheduler
that cannot be reached or has no workers, a worker of another twinsight, a bad address or
--workers beside it is one line, exit 2."""

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import twinsight as package
from tests.analysis.test_service_comparable import store
from tests.cli.run import twinsight
from twinsight.analysis.installed import running_version, source_digest

pytest.importorskip("distributed")

OURS = running_version()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_local_cluster_reports_as_one_process(tmp_path: Path) -> None:
    path = store(tmp_path)
    said = []
    # The second run in a fresh interpreter: another hash seed, as two users' runs have.
    for flags, fresh in ((["--workers", "1"], False), (["--dask", "local:2"], True)):
        done = twinsight(
            "analyze", "--store", str(path), "--full", *flags, cwd=tmp_path, fresh=fresh
        )
        assert done.returncode == 0, done.stderr
        said.append(done.stdout)
    assert "8 exchange(s) analysed" in said[0]
    assert said[1] == said[0]


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{unused_port()}"
    done = twinsight(
        "analyze", "--store", str(store(tmp_path)), "--dask", address, "--dask-wait", "1s",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"--dask {address}: cannot reach the scheduler" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--dask", "local:2", "--workers", "2"], "--dask and --workers"),
        (["--dask", "scheduler:8786"], "--dask 'scheduler:8786'"),
        (["--dask", "local:1", "--dask-wait", "soon"], "--dask-wait 'soon': write a duration"),
        (["--dask", "local:1", "--dask-wait", "0s"], "--dask-wait '0s': give a duration above"),
    ],
)
def test_a_bad_dask_flag_is_one_line(tmp_path: Path, flags: list[str], said: str) -> None:
    done = twinsight("analyze", "--store", str(store(tmp_path)), *flags, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert said in done.stderr


def loopback_cluster(workers: int) -> Any:
    """A Dask cluster on loopback with `workers` worker threads in this process."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
        # The scheduler's health routes listen even so: 8787 unless told, taken under -n.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )


@pytest.fixture
def scheduler() -> Iterator[tuple[str, list[str]]]:
    """A scheduler on loopback with one worker thread in this process: (its address, its
    workers' addresses)."""
    from distributed import Client

    with loopback_cluster(1) as cluster, Client(cluster) as client:
        yield cluster.scheduler_address, list(client.scheduler_info()["workers"])


def test_a_scheduler_whose_workers_run_this_twinsight_is_accepted(
    tmp_path: Path, scheduler: tuple[str, list[str]]
) -> None:
    path = store(tmp_path)
    said = []
    for flags, fresh in ((["--workers", "1"], False), (["--dask", scheduler[0]], True)):
        done = twinsight(
            "analyze", "--store", str(path), "--full", *flags, cwd=tmp_path, fresh=fresh
        )
        assert done.returncode == 0, done.stderr
        said.append(done.stdout)
    assert "8 exchange(s) analysed" in said[0]
    assert said[1] == said[0]


def test_a_worker_of_another_twinsight_is_one_line(
    tmp_path: Path, scheduler: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, (worker,) = scheduler
    monkeypatch.setattr(package, "__version__", "0.0.9")  # the worker's, in this process
    done = twinsight("analyze", "--store", str(store(tmp_path)), "--dask", address, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: --dask {address}: worker {worker} runs twinsight"
        f" 0.0.9+{source_digest(package.__file__)}"
        f" (this is twinsight {OURS}); run the same version everywhere\n"
    )


def test_a_scheduler_without_workers_is_one_line(tmp_path: Path) -> None:
    with loopback_cluster(0) as empty:
        address = empty.scheduler_address
        done = twinsight(
            "analyze", "--store", str(store(tmp_path)), "--dask", address, "--dask-wait", "2s",
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 2
    no_workers = f"error: --dask {address}: the scheduler has no workers (waited 2 s)"
    assert done.stderr.startswith(no_workers)
    assert len(done.stderr.strip().splitlines()) == 1
