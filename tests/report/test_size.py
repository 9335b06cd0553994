"""A report keeps a readable size whatever the traffic: bodies, lines and curl are capped."""

from datetime import UTC, datetime

import orjson

from twinsight.report.assemble import StoreFacts
from twinsight.report.bodies import MAX_LINE_BYTES
from twinsight.report.html import render_html
from twinsight.report.markdown import render_markdown
from twinsight.report.reportjson import render_json
from twinsight.store import ClusterRow, StoreInfo
from twinsight.store.reportdata import ExampleAnswer, ExampleExchange

from .builders import report

MIB = 1024 * 1024
BOUND = 200 * 1024
"""An HTML page with one example of two 1 MiB answers and a 1 MiB request stays under this."""


def _facts() -> StoreFacts:
    huge = b'{"blob": "' + b"q" * MIB + b'"}'
    answers = [
        ExampleAnswer(target, 200, [], huge + marker, "application/json", False, 1.0, None)
        for target, marker in (("legacy", b""), ("candidate", b" "))
    ]
    example = ExampleExchange(
        "x1", datetime(2026, 11, 20, tzinfo=UTC), "POST", "http", "h", "/blobs", None,
        [], b"r" * MIB, answers, [("body.blob", "changed")],
    )  # fmt: skip
    cluster = ClusterRow(
        "POST /blobs", "body.blob", "changed", "string changed", 1, 1.0,
        "On POST /blobs, body.blob differs", [], [], "[]", ["x1"],
    )  # fmt: skip
    return StoreFacts(
        StoreInfo(), clusters=[cluster], clusters_total=(1, 1), examples={"x1": example}
    )


def test_one_mebibyte_single_line_bodies_leave_a_small_page_that_says_what_it_left_out() -> None:
    data = report(_facts())
    page = render_html(data, charts=False)
    assert len(page.encode()) < BOUND
    cut = MIB + len('  "blob": ""') - MAX_LINE_BYTES
    assert page.count(f"[... {cut} more bytes cut]") == 2  # each side's line says so
    assert f"{cut} bytes left out" in page  # and each side's note
    assert page.count("save it as body.json") == 2  # the request once per target, not inline
    assert "r" * 10_000 not in page
    assert len(render_json(data)) < BOUND
    assert len(render_markdown(data).encode()) < BOUND
    answer = orjson.loads(render_json(data))["clusters"][0]["examples"][0]["answers"][0]
    assert "bytes left out" in answer["note"]
