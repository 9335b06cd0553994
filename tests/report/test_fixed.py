"""The report's "Fixed since the previous run", over real stores reported on as `twinsight
report` does: analyse what is new and decide (`assess_store`), then gather and render."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest

from tests.coded_items import coded_items
from twinsight.analysis.readiness_service import assess_store
from twinsight.config import Config
from twinsight.report.assemble import StoreFacts
from twinsight.report.document import ReportData
from twinsight.report.gather import gather_report
from twinsight.report.html import render_html
from twinsight.report.markdown import CLUSTERS_SHOWN, render_markdown
from twinsight.report.reportjson import render_json
from twinsight.store import Derived, HistoryRow, StoreInfo
from twinsight.store.derived import RunFixes
from twinsight.testing import write_store

from .browser import browser_page, watch
from .builders import ATTACK, HOSTILE, report

IGNORE_CODE = Config.model_validate({"normalize": [{"where": "body.code", "compare": "ignore"}]})


def _report(store: Path, config: Config) -> ReportData:
    """What `twinsight report --store STORE` shows with `config`."""
    verdict = assess_store(store, None, config=config, spec=None)
    return gather_report(
        store, None, verdict=verdict, config=config, spec=None, command="twinsight report"
    )


@dataclass(frozen=True)
class Runs:
    """A store reported on three times: first, then with new traffic and a rule that makes
    the code no difference, then again with nothing new."""

    store: Path
    first: ReportData
    fixing: ReportData
    again: ReportData


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    store = tmp_path_factory.mktemp("fixed") / "run.duckdb"
    write_store(store, coded_items(0, 20))
    first = _report(store, Config())
    write_store(store, coded_items(20, 10))
    fixing = _report(store, IGNORE_CODE)
    return Runs(store, first, fixing, _report(store, IGNORE_CODE))


def _code_cluster(report: ReportData) -> str:
    (found,) = (c.fingerprint for c in report.clusters if c.location == "body.code")
    return found


def test_a_first_run_says_there_is_nothing_to_compare_with_in_every_form(runs: Runs) -> None:
    first = runs.first
    assert first.fixed.previous == ""
    assert first.fixed.clusters == ()
    assert "## Fixed since the previous run\n\nFirst run: nothing to compare with.\n" in (
        render_markdown(first)
    )
    page = render_html(first, charts=False)
    assert '<p id="fixed-summary">First run: nothing to compare with.</p>' in page
    assert 'id="fixed-table"' not in page
    fixed = orjson.loads(render_json(first))["fixed"]
    assert fixed["summary"] == "First run: nothing to compare with."
    assert (fixed["previous"], fixed["clusters"]) == ("", [])
    assert fixed["last"] == first.fixed.last != ""


def test_a_cluster_gone_since_the_previous_run_is_listed_alike_in_every_form(runs: Runs) -> None:
    fixing, gone = runs.fixing, _code_cluster(runs.first)
    assert fixing.fixed.previous == runs.first.fixed.last
    # Shown to the second: one second may hold both runs.
    assert fixing.fixed.last >= fixing.fixed.previous
    (cluster,) = fixing.fixed.clusters
    assert cluster.fingerprint == gone
    assert (cluster.endpoints, cluster.location, cluster.kind) == (
        ("GET /items/{id}",),
        "body.code",
        "changed",
    )
    assert cluster.exchanges == 20  # in the first run, where it was last seen
    assert cluster.seen_at == runs.first.fixed.last
    assert cluster.description.startswith("On GET /items/{id}, body.code differs")
    assert gone not in {c.fingerprint for c in fixing.clusters}
    summary = f"1 cluster(s) fixed since the previous run ({fixing.fixed.previous})."

    markdown = render_markdown(fixing)
    section = markdown.split("## Fixed since the previous run\n", 1)[1].split("\n## ", 1)[0]
    assert section.startswith(f"\n{summary}\n\n| fingerprint | endpoint(s) |")
    (row,) = [line for line in section.splitlines() if line.startswith(f"| {gone} ")]
    assert row.startswith(f"| {gone} | GET /items/{{id}} | body.code | changed | On GET")
    assert row.endswith(f"| 20 | {cluster.seen_at} |")

    page = render_html(fixing, charts=False)
    assert f'<p id="fixed-summary">{summary}</p>' in page
    table = page.split('id="fixed-table"', 1)[1].split("</table>", 1)[0]
    assert f'<code class="fingerprint">{gone}</code>' in table
    assert "<code>GET /items/{id}</code>" in table
    assert f"<td>20</td><td>{cluster.seen_at}</td>" in table

    fixed = orjson.loads(render_json(fixing))["fixed"]
    assert fixed["summary"] == summary
    assert fixed["clusters"] == [
        {
            "fingerprint": gone,
            "endpoints": ["GET /items/{id}"],
            "location": "body.code",
            "kind": "changed",
            "description": cluster.description,
            "exchanges": 20,
            "seen_at": cluster.seen_at,
            "noise": False,
        }
    ]


def test_a_report_with_nothing_new_shows_what_the_last_run_fixed(runs: Runs) -> None:
    assert runs.again.fixed == runs.fixing.fixed  # a re-read: the last run, as it was


def test_a_run_that_fixed_nothing_says_so(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, coded_items(0, 10))
    _report(store, Config())
    write_store(store, coded_items(10, 10))
    later = _report(store, Config())
    said = f"Nothing fixed since the previous run ({later.fixed.previous})."
    assert later.fixed.previous != ""
    assert later.fixed.clusters == ()
    assert f"## Fixed since the previous run\n\n{said}\n" in render_markdown(later)
    assert f'<p id="fixed-summary">{said}</p>' in render_html(later, charts=False)
    assert orjson.loads(render_json(later))["fixed"]["summary"] == said


def test_a_history_recorded_without_endpoints_still_reports_what_was_fixed(
    tmp_path: Path,
) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, coded_items(0, 10))
    gone = _code_cluster(_report(store, Config()))
    with duckdb.connect(str(store)) as connection:  # as a store analysed before they were kept
        connection.execute("ALTER TABLE cluster_history DROP COLUMN endpoints")
    write_store(store, coded_items(10, 10))
    later = _report(store, IGNORE_CODE)
    (cluster,) = later.fixed.clusters
    assert (cluster.fingerprint, cluster.endpoints, cluster.where) == (gone, (), "not recorded")
    assert f"| {gone} | not recorded | body.code |" in render_markdown(later)
    (kept,) = Derived(store).cluster_past().previous.values()  # the title's, of the new run
    assert kept.endpoints == ["GET /items/{id}"]  # recorded again from then on


def test_the_page_shows_the_fixed_cluster_in_a_browser(runs: Runs, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(runs.fixing, charts=False), encoding="utf-8")
    gone = _code_cluster(runs.first)
    with browser_page(tmp_path / "profile") as page:
        seen = watch(page)
        page.goto(page_file.as_uri(), wait_until="load")
        assert page.locator("nav a[href='#fixed']").inner_text() == "Fixed since the previous run"
        section = page.locator("section#fixed").inner_text()
        assert "1 cluster(s) fixed since the previous run" in section
        for text in (gone, "GET /items/{id}", "body.code", "On GET /items/{id}, body.code"):
            assert text in section
        assert page.locator("#fixed-table tbody tr").count() == 1
        assert seen.problems == []


def test_markdown_lists_the_first_fixed_and_counts_the_rest_the_page_lists_all_as_text() -> None:
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    rows = [
        HistoryRow(
            f"c1-{i:010}",
            at,
            i,
            f"body.{HOSTILE}",
            "changed",
            "p",
            HOSTILE,
            None,
            [f"GET /{HOSTILE}"],
        )
        for i in range(CLUSTERS_SHOWN + 3)
    ]
    facts = StoreFacts(StoreInfo(), fixes=RunFixes(at + timedelta(hours=1), at, rows))
    fixed = report(facts)
    markdown = render_markdown(fixed)
    assert (
        f"{CLUSTERS_SHOWN + 3} cluster(s) fixed since the previous run (2026-11-20T10:00:00+00:00)."
        in markdown
    )
    assert markdown.count("| c1-") == CLUSTERS_SHOWN
    assert "And 3 more, in the HTML report." in markdown
    assert ATTACK not in markdown
    page = render_html(fixed, charts=False)
    table = page.split('id="fixed-table"', 1)[1].split("</table>", 1)[0]
    assert table.count('<code class="fingerprint">') == CLUSTERS_SHOWN + 3
    assert ATTACK not in page
    assert html.escape(ATTACK, quote=False) in table
