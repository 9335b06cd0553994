"""What `analyze` and `report` say was fixed since the previous run, run as a user does."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.coded_items import coded_items
from twinsight.testing import write_store

from .run import twinsight

IGNORE_CODE = '[[normalize]]\nwhere = "body.code"\ncompare = "ignore"\n'


def test_analyze_tells_a_fix_from_a_re_read_and_the_report_lists_it(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, coded_items(0, 20))
    first = twinsight("analyze", "--store", str(store), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "fixed" not in first.stdout
    (tmp_path / "twinsight.toml").write_text(IGNORE_CODE, encoding="utf-8")
    write_store(store, coded_items(20, 10))

    fixing = twinsight("analyze", "--store", str(store), cwd=tmp_path)
    assert fixing.returncode == 0, fixing.stderr
    (line,) = [x for x in fixing.stdout.splitlines() if "fixed" in x]
    assert line.startswith("1 cluster(s) fixed since the previous run: c1-")
    gone = line.rsplit(" ", 1)[1]

    again = twinsight("analyze", "--store", str(store), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"1 cluster(s) fixed by the last run (nothing new since that run): {gone}" in (
        again.stdout.splitlines()
    )

    out = tmp_path / "reports" / "run"
    report = twinsight("report", "--store", str(store), "--out", str(out), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    markdown = Path(f"{out}.md").read_text(encoding="utf-8")
    assert f"| {gone} | GET /items/{{id}} | body.code | changed |" in markdown
    fixed = orjson.loads(Path(f"{out}.json").read_bytes())["fixed"]
    assert [c["fingerprint"] for c in fixed["clusters"]] == [gone]
    assert fixed["summary"].startswith("1 cluster(s) fixed since the previous run (")
    assert f'<code class="fingerprint">{gone}</code>' in Path(f"{out}.html").read_text("utf-8")


def test_a_first_report_says_there_is_nothing_to_compare_with(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, coded_items(0, 10))
    out = tmp_path / "first"
    result = twinsight("report", "--store", str(store), "--out", str(out), "--format", "md")
    assert result.returncode == 0, result.stderr
    said = Path(f"{out}.md").read_text(encoding="utf-8")
    assert "## Fixed since the previous run\n\nFirst run: nothing to compare with.\n" in said
