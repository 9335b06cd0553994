"""The report as JSON for machines: `twinsight.report/1`, documented in the README
("The report": JSON schema). Every field of `ReportData`, by name; tuples as arrays."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from .document import ReportData

__all__ = ["SCHEMA", "render_json", "report_dict"]

SCHEMA = "twinsight.report/1"


def report_dict(report: ReportData) -> dict[str, Any]:
    """The report as plain JSON values, with its schema name first."""
    body = dataclasses.asdict(report)
    del body["rules"]  # the verdict's own rules, reordered: they are under "verdict"
    verdict = body["verdict"]
    # Properties are not fields: the observed rates are added beside their intervals.
    for rule, outcome in zip(verdict["rules"], report.verdict.rules, strict=True):
        if outcome.interval is not None:
            rule["interval"]["rate"] = outcome.interval.rate
    for endpoint, evidence in zip(verdict["endpoints"], report.verdict.endpoints, strict=True):
        endpoint["disagreement"]["rate"] = evidence.disagreement.rate
    body["uncovered"]["mirrored_share"] = report.uncovered.mirrored_share
    body["fixed"]["summary"] = report.fixed.summary
    return {"schema": SCHEMA, **body}


def render_json(report: ReportData) -> bytes:
    """The report as indented JSON."""
    return orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2, default=str)
