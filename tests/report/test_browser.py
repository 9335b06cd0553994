"""The HTML report opened in real headless Chromium: offline, whole, and inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinsight.config import Config
from twinsight.report.gather import gather_report
from twinsight.report.html import SECTIONS, render_html

from .browser import browser_page, watch
from .builders import ATTACK, HOSTILE, hostile_report, verdict


@pytest.fixture(scope="module")
def page_file(hostile_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = Config.model_validate(
        {"targets": {"legacy": "http://127.0.0.1:9", "candidate": "http://127.0.0.1:10"}}
    )
    report = gather_report(
        hostile_store, None, verdict=verdict(), config=config, spec=None, command="twinsight report"
    )
    out = tmp_path_factory.mktemp("page") / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    return out


def test_the_report_opens_offline_without_errors_and_shows_traffic_as_text(
    page_file: Path, tmp_path: Path
) -> None:
    with browser_page(tmp_path / "profile") as page:
        seen = watch(page)
        page.goto(page_file.as_uri(), wait_until="load")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.wait_for_timeout(200)
        assert page.locator("#verdict .status").inner_text() == "NOT READY"
        for section, _ in SECTIONS:
            assert page.locator(f"section#{section}").count() == 1, section
        assert page.locator("section#clusters svg, section#endpoints svg").count() >= 2
        body = page.locator("section#clusters").inner_text()
        assert ATTACK in body  # shown as text ...
        for text in ("</textarea><img src=x onerror=alert(1)>", "javascript:alert(1)"):
            assert text in body
        assert page.evaluate(_INJECTED) == []
        assert page.locator("section#clusters script").count() == 0  # ... never as a script
        endpoint_cell = page.locator("section#endpoints").inner_text()
        assert ATTACK in endpoint_cell
        assert seen.dialogs == []
        assert seen.problems == []
        assert seen.requested == [page_file.as_uri()]


def test_tables_sort_and_filter(page_file: Path, tmp_path: Path) -> None:
    with browser_page(tmp_path / "profile") as page:
        page.goto(page_file.as_uri())
        rows = page.locator("#rules-table tbody tr")
        assert rows.count() == 2
        page.fill("input[data-table=rules-table]", "evidence")
        assert page.locator("#rules-table tbody tr:not(.hidden)").count() == 1
        page.fill("input[data-table=rules-table]", "")
        page.click("#rules-table th:nth-child(2)")
        first = page.locator("#rules-table tbody tr").first.locator("td").nth(1).inner_text()
        page.click("#rules-table th:nth-child(2)")
        last = page.locator("#rules-table tbody tr").first.locator("td").nth(1).inner_text()
        assert (first, last) == ("agreement", "evidence")


_INJECTED = """() => {
  const found = [];
  for (const e of document.querySelectorAll("*")) {
    for (const a of e.attributes) {
      const value = a.value.toLowerCase();
      if (a.name.startsWith("on") || a.name === "autofocus" || a.name === "src"
          || value.startsWith("javascript:")) { found.push(e.tagName + " " + a.name); }
    }
    if (["TEXTAREA", "IMG", "IFRAME", "OBJECT", "EMBED", "FORM"].includes(e.tagName)) {
      found.push(e.tagName);
    }
  }
  return found;
}"""
_PROVOKE = """() => {
  for (const e of document.querySelectorAll("*")) {
    for (const kind of ["mouseover", "focus", "click", "load", "error"]) {
      if (e.tagName !== "BUTTON" && e.tagName !== "A") { e.dispatchEvent(new Event(kind)); }
    }
  }
  return document.querySelectorAll("script").length;
}"""


def test_attribute_breakout_textarea_javascript_urls_and_script_in_json_stay_text(
    tmp_path: Path,
) -> None:
    page_file = tmp_path / "hostile.html"
    page_file.write_text(render_html(hostile_report()), encoding="utf-8")
    with browser_page(tmp_path / "profile") as page:
        seen = watch(page)
        page.goto(page_file.as_uri(), wait_until="load")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert page.evaluate(_INJECTED) == []
        assert page.evaluate(_PROVOKE) == 1  # ours, and only ours
        page.hover("section#clusters table.headers td")
        page.wait_for_timeout(200)
        shown = " ".join(
            page.locator("section#clusters table.headers td").first.inner_text().split()
        )
        assert shown == " ".join(HOSTILE.split())  # every payload, as text
        assert HOSTILE.split()[0] in page.locator("#verdict .reason").inner_text()
        assert page.locator("section#endpoints svg").count() >= 1  # names drawn in a chart
        assert seen.dialogs == []
        assert seen.problems == []
        assert seen.requested == [page_file.as_uri()]
