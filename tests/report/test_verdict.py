"""The readiness verdict rendered: the rule table's text, JUnit XML any CI reads, and JSON."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from twinsight.analysis.readiness import Evidence, evaluate
from twinsight.config import ReadinessSettings
from twinsight.events import ReadinessVerdict
from twinsight.report.junit import junit_xml, write_junit
from twinsight.report.verdict import verdict_lines, verdict_rows, verdict_table
from twinsight.report.verdictjson import SCHEMA, verdict_document, write_verdict_json
from twinsight.store import StoredEvidence
from twinsight.store.evidence import ClassificationCount, ReasonCount

HOSTILE = 'body.note "<script>alert(1)</script>" & \x00\x07 ]]>'


def hostile_verdict() -> ReadinessVerdict:
    stored = StoredEvidence(
        "candidate",
        counts=[
            ClassificationCount("GET /a", "match", 10),
            ClassificationCount("GET /a", "regression", 1),
        ],
        reasons=[ReasonCount("GET /a", "regression", HOSTILE, 1)],
        not_compared={"no candidate answer stored": 2},
    )
    return evaluate(Evidence(stored), ReadinessSettings())


def test_rows_hold_every_rule_as_text() -> None:
    verdict = hostile_verdict()
    rows = verdict_rows(verdict)
    assert len(rows) == len(verdict.rules)
    first = rows[0]
    assert (first.rule, first.scope, first.threshold, first.observed, first.status) == (
        "regressions",
        "overall",
        "0",
        "1",
        "fail",
    )
    agreement = next(r for r in rows if r.rule == "agreement" and r.scope == "overall")
    assert agreement.bound.endswith("wilson")
    assert any("(about " in r.status for r in rows)


def test_terminal_lines_escape_markup_from_traffic() -> None:
    console = Console(record=True, width=200)
    verdict = hostile_verdict()
    console.print(verdict_table(verdict))
    for line in verdict_lines(verdict):
        console.print(line)
    text = console.export_text()
    assert "NOT READY" in text
    assert "2 not compared: no candidate answer stored" in text
    assert f"policy {verdict.policy_hash}" in text


def test_junit_is_valid_xml_with_failures_and_skips(tmp_path: Path) -> None:
    verdict = hostile_verdict()
    target = tmp_path / "ready.xml"
    write_junit(verdict, target)
    root = ET.parse(target).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(verdict.rules) == int(suite.get("tests", "0"))
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(failures) == sum(r.status == "fail" for r in verdict.rules)
    assert len(skipped) == sum(r.status in ("inconclusive", "not_measured") for r in verdict.rules)
    failure = failures[0].find("failure")
    assert failure is not None
    assert "<script>alert(1)</script>" in failure.get("message", "")  # as text, escaped
    assert b"<script>" not in junit_xml(verdict)
    assert b"\x00" not in junit_xml(verdict)


def test_json_document(tmp_path: Path) -> None:
    verdict = hostile_verdict()
    target = tmp_path / "ready.json"
    write_verdict_json(verdict, target)
    document = json.loads(target.read_text())
    assert document == json.loads(json.dumps(verdict_document(verdict)))
    assert document["schema"] == SCHEMA
    assert document["status"] == "NOT READY"
    assert set(document) >= {
        "reason",
        "candidate",
        "exchanges",
        "window",
        "policy",
        "policy_hash",
        "coverage",
        "not_compared",
        "rules",
        "endpoints",
    }
    rule = document["rules"][0]
    assert set(rule) == {
        "rule",
        "scope",
        "status",
        "reason",
        "threshold",
        "observed",
        "unit",
        "interval",
        "more_needed",
    }
    interval = next(r["interval"] for r in document["rules"] if r["interval"])
    assert set(interval) == {"events", "n", "low", "high", "confidence", "method", "rate"}
    assert document["endpoints"][0]["disagreement"]["n"] == 11
