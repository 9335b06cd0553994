"""Text from traffic, target names included, at its worst: inert in HTML, plain in Markdown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import orjson
import pytest

from twinsight.report.document import ReportData
from twinsight.report.html import render_html
from twinsight.report.markdown import render_markdown, text
from twinsight.report.reportjson import render_json

from .builders import ATTACKS, HOSTILE, PINGS, hostile_report

# What GitHub would turn into a mention, a reference or a link, if left as is.
_LIVE = re.compile(r"@\w|#\d|GH-\d|https?:|www\.", re.IGNORECASE)


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of its one script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


@pytest.fixture(scope="module")
def hostile() -> ReportData:
    return hostile_report()


@pytest.fixture(scope="module")
def page(hostile: ReportData) -> str:
    return render_html(hostile)  # the charts too: endpoint names are drawn in them


def test_no_payload_survives_unescaped_in_the_html(page: str) -> None:
    # Quotes are harmless in text nodes (the charts' SVG leaves them there): the parser
    # test below checks no attribute came from them. No `<` of a payload may survive.
    for attack in (a for a in ATTACKS if "<" in a):
        assert attack not in page, attack
    assert page.count("<script") == 1
    assert page.count("</script") == 1
    for tag in ("<textarea", "</textarea", "<iframe", "<img"):
        assert tag not in page


def test_the_html_parses_to_our_tags_only_with_no_handler_or_script_url(page: str) -> None:
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert [tag for tag, _ in parser.tags].count("script") == 1
    assert [tag for tag, _ in parser.tags].count("style") == 1
    assert not names & {"textarea", "img", "iframe", "object", "embed", "form"}
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert name not in {"autofocus", "src", "xlink:href"}, (tag, name, value)
            if name == "href":  # only the page's own section links
                assert (tag, (value or "#")[0]) == ("a", "#"), (tag, name, value)


def test_the_payloads_are_in_the_html_as_text(page: str, hostile: ReportData) -> None:
    parser = _Text()
    parser.feed(page)
    shown = " ".join(parser.text.split())
    assert " ".join(HOSTILE.split()) in shown  # reason, endpoint, cluster, body, headers
    assert "javascript:alert(1)" in shown
    assert hostile.verdict.candidate in shown


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""

    def handle_data(self, data: str) -> None:
        self.text += data


def test_markdown_pings_nobody_links_nothing_and_escapes_header_cells(hostile: ReportData) -> None:
    document = render_markdown(hostile)
    for line in document.splitlines():
        if line.startswith("Command: `"):  # one code span: nothing in it is markup or a link
            assert (line[-1], line.count("`")) == ("`", 2), line
            continue
        assert not _LIVE.search(line), line
        assert "<" not in line, line  # no tag can open, whatever the attributes say
    header = next(line for line in document.splitlines() if line.startswith("| candidate |"))
    assert header.count(" | ") == 3  # the target name's `|` is escaped, the columns stay 4
    latency_head = next(line for line in document.splitlines() if "| endpoint | legacy" in line)
    assert latency_head.count(" | ") == 4  # 5 columns, each target name's `|` escaped
    assert "&lt;script&gt;" in latency_head


def test_text_breaks_mentions_references_and_links_with_a_zero_width_space() -> None:
    assert text(PINGS) == (
        "@\u200boctocat see #\u200b123, GH\u200b-7, https\u200b://evil.test/x,"
        " www\u200b.evil.test and a@\u200bb.co"
    )
    assert text("C# 1.0 #x") == "C# 1.0 #x"  # a `#` before no digit is left alone


def test_json_carries_the_text_as_it_was(hostile: ReportData) -> None:
    found = orjson.loads(render_json(hostile))
    assert found["verdict"]["reason"] == HOSTILE
    assert found["clusters"][0]["description"].endswith(HOSTILE)
