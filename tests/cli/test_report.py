"""`twinsight report` as a user runs it: the verdict, and the files it names."""

from __future__ import annotations

from pathlib import Path

import orjson

from twinsight.testing import exchange, write_store

from .run import twinsight


def test_report_writes_each_format_and_prints_the_paths(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, [exchange(f"/tasks/{i}") for i in range(5)])
    out = tmp_path / "reports" / "run"
    result = twinsight("report", "--store", str(store), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("NOT READY")
    written = [line.removeprefix("wrote ") for line in result.stdout.splitlines()[1:]]
    assert written == [str(out) + suffix for suffix in (".html", ".md", ".json")]
    page = Path(written[0]).read_text(encoding="utf-8")
    assert 'data-verdict="NOT READY"' in page
    assert "twinsight report --store" in page  # the exact command, in the banner
    found = orjson.loads(Path(written[2]).read_bytes())
    assert found["verdict"]["exchanges"] == 5


def test_report_in_one_format(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, [exchange()])
    out = tmp_path / "one"
    result = twinsight("report", "--store", str(store), "--out", str(out), "--format", "md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [f"wrote {out}.md"]
    assert "## Clusters" in (tmp_path / "one.md").read_text(encoding="utf-8")


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = twinsight("report", "--store", str(tmp_path / "x.duckdb"), "--format", "pdf")
    assert result.returncode == 2
    assert "unknown format pdf" in result.stderr
