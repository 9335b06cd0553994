"""The readiness verdict as JUnit XML: each rule a test case, so any CI shows it.

A failing rule is a `<failure>`; an inconclusive or not measured one is `<skipped>`
with its reason (CI systems show skipped cases without failing the build). Text from
traffic is escaped, and characters XML 1.0 cannot hold are left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from twinsight.events import ReadinessVerdict, RuleOutcome

__all__ = ["junit_xml", "write_junit"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids (control bytes, lone surrogates)."""
    return _NOT_XML.sub("\ufffd", value)


def _case(suite: ET.Element, outcome: RuleOutcome) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=f"twinsight.ready.{outcome.rule}", name=_text(outcome.scope)
    )
    reason = _text(outcome.reason)
    if outcome.status == "fail":
        failure = ET.SubElement(case, "failure", message=reason, type=outcome.rule)
        failure.text = reason
    elif outcome.status in ("inconclusive", "not_measured"):
        message = f"{outcome.status}: {reason}"
        if outcome.more_needed:
            message += f" (about {outcome.more_needed} more exchange(s))"
        ET.SubElement(case, "skipped", message=message)


def junit_xml(verdict: ReadinessVerdict) -> bytes:
    """The verdict as a JUnit XML document (UTF-8, with its declaration)."""
    rules = verdict.rules
    suites = ET.Element("testsuites", name="twinsight ready")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=_text(f"readiness of {verdict.candidate}"),
        tests=str(len(rules)),
        failures=str(sum(o.status == "fail" for o in rules)),
        errors="0",
        skipped=str(sum(o.status in ("inconclusive", "not_measured") for o in rules)),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", verdict.status),
        ("reason", verdict.reason),
        ("policy_hash", verdict.policy_hash),
        ("exchanges", str(verdict.exchanges)),
    ):
        ET.SubElement(properties, "property", name=name, value=_text(value))
    for outcome in rules:
        _case(suite, outcome)
    ET.indent(suites)
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def write_junit(verdict: ReadinessVerdict, path: Path) -> None:
    """Write `junit_xml(verdict)` to `path`."""
    path.write_bytes(junit_xml(verdict))
