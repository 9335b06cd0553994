"""`twinsight analyze --workers`: a count below one is one line; a small store is judged
in one process whatever the count, with the same report."""

from pathlib import Path

from tests.analysis.test_service_comparable import store
from tests.cli.run import twinsight


def test_workers_below_one_is_one_line(tmp_path: Path) -> None:
    done = twinsight("analyze", "--store", str(store(tmp_path)), "--workers", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "'--workers'" in done.stderr


def test_a_small_store_reports_alike_with_workers(tmp_path: Path) -> None:
    path = store(tmp_path)
    said = []
    # The second run in a fresh interpreter: another hash seed, as two users' runs have.
    for workers, fresh in (("1", False), ("2", True)):
        done = twinsight(
            "analyze", "--store", str(path), "--full", "--workers", workers,
            cwd=tmp_path, fresh=fresh,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        said.append(done.stdout)
    assert "8 exchange(s) analysed" in said[0]
    assert said[1] == said[0]
