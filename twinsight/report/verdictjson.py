"""The readiness verdict for machines: one JSON document (schema in the README, "Is it
ready?"), versioned by its `schema` field."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson

from twinsight.events import Interval, ReadinessVerdict, RuleOutcome

__all__ = ["SCHEMA", "verdict_document", "write_verdict_json"]

SCHEMA = "twinsight.readiness/1"
"""Bumped when a field changes meaning or goes away (new fields do not bump it)."""


def _interval(interval: Interval | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {**dataclasses.asdict(interval), "rate": interval.rate}


def _rule(outcome: RuleOutcome) -> dict[str, Any]:
    found = dataclasses.asdict(outcome)
    found["interval"] = _interval(outcome.interval)
    return found


def verdict_document(verdict: ReadinessVerdict) -> dict[str, Any]:
    """The verdict as plain JSON data."""
    first, last = verdict.window
    return {
        "schema": SCHEMA,
        "status": verdict.status,
        "reason": verdict.reason,
        "candidate": verdict.candidate,
        "exchanges": verdict.exchanges,
        "window": {"first": first, "last": last},
        "policy": verdict.policy,
        "policy_hash": verdict.policy_hash,
        "coverage": verdict.coverage,
        "not_compared": verdict.not_compared,
        "rules": [_rule(o) for o in verdict.rules],
        "endpoints": [
            {
                **dataclasses.asdict(e),
                "disagreement": _interval(e.disagreement),
            }
            for e in verdict.endpoints
        ],
    }


def write_verdict_json(verdict: ReadinessVerdict, path: Path) -> None:
    """Write `verdict_document(verdict)` to `path`."""
    path.write_bytes(orjson.dumps(verdict_document(verdict), option=orjson.OPT_INDENT_2) + b"\n")
