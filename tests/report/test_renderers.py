"""The three renderings of one report: HTML (escaped, self-contained), Markdown, JSON."""

import html
import re
from pathlib import Path

import orjson
import pytest

from twinsight.report.assemble import StoreFacts
from twinsight.report.figures import measure
from twinsight.report.files import parse_formats, write_report
from twinsight.report.html import SECTIONS, render_html
from twinsight.report.markdown import render_markdown, text
from twinsight.report.reportjson import SCHEMA, render_json
from twinsight.store import ClusterRow, StoreInfo

from .builders import ATTACK, report


def test_html_has_every_section_and_escapes_what_came_from_traffic() -> None:
    page = render_html(report(), charts=False)
    for section, _ in SECTIONS:
        assert f'<section id="{section}"' in page
    assert ATTACK not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours, and only ours


def test_html_allows_no_request_and_only_its_own_script() -> None:
    page = render_html(report(), charts=False)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    allowed = html.unescape(policy.group(1))
    assert "default-src 'none'" in allowed
    assert "script-src 'sha256-" in allowed
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_html_charts_are_inline_svg_with_their_titles() -> None:
    page = render_html(report())
    assert page.count("<svg") == 1  # only the interval plot has data in an empty store
    assert "Disagreement rate per endpoint" in page
    assert ATTACK not in page


def test_markdown_has_the_sections_and_cannot_be_broken_by_traffic() -> None:
    document = render_markdown(report())
    for heading in ("# NOT READY", "## Evidence", "## Rules", "## Endpoints", "## Clusters",
                    "## Scenario coverage", "## Suppression ledger", "## Latency",
                    "## Not covered"):  # fmt: skip
        assert heading in document
    assert ATTACK not in document
    assert text("a|b <i>*x*</i>\nc") == r"a\|b &lt;i&gt;\*x\*&lt;/i&gt; c"
    assert len(document.splitlines()) < 200


def test_json_names_its_schema_and_carries_the_verdict() -> None:
    found = orjson.loads(render_json(report()))
    assert found["schema"] == SCHEMA
    assert found["verdict"]["status"] == "NOT READY"
    assert found["verdict"]["rules"][0]["interval"]["rate"] == 4 / 310
    assert found["verdict"]["endpoints"][1]["disagreement"]["rate"] == 0.4
    assert found["uncovered"]["mirrored_share"] is None
    assert set(found) >= {"clusters", "scenarios", "ledger", "latency", "timeline", "figures"}


def test_formats_are_written_side_by_side(tmp_path: Path) -> None:
    written = write_report(report(), tmp_path / "out" / "run", parse_formats("md, json"))
    assert [p.name for p in written] == ["run.md", "run.json"]
    assert all(p.stat().st_size > 0 for p in written)


def test_an_unknown_format_is_named() -> None:
    with pytest.raises(ValueError, match="unknown format pdf"):
        parse_formats("html,pdf")


def test_every_rendering_writes_a_rule_value_alike() -> None:
    # One formatter for the terminal table, the Markdown and the HTML: a latency rule's
    # ratio is a signed percentage everywhere, not "0.2 ratio".
    assert [measure(v, u) for v, u in [(0.2, "ratio"), (0.0123, "rate"), (3, "count")]] == [
        "+20 %",
        "1.23 %",
        "3",
    ]


def test_every_rendering_names_each_cluster_by_its_fingerprint_and_status() -> None:
    row = ClusterRow(
        "GET /a", "body.note", "changed", "string changed", 4, 0.4, "body.note differs.",
        [], [], "[]", [], fingerprint="c1-0123456789", status="regressed",
    )  # fmt: skip
    named = report(StoreFacts(StoreInfo(), clusters=[row], clusters_total=(1, 4)))
    assert "1. `c1-0123456789` (regressed) body.note differs." in render_markdown(named)
    assert '<code class="fingerprint">c1-0123456789</code>' in render_html(named, charts=False)
    (cluster,) = orjson.loads(render_json(named))["clusters"]
    assert (cluster["fingerprint"], cluster["status"]) == ("c1-0123456789", "regressed")
    unnamed = report(StoreFacts(StoreInfo(), clusters=[row._replace(fingerprint=None)]))
    assert "1. body.note differs." in render_markdown(unnamed)
