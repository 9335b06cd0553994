"""A finding as plain numbered steps, each with the two answers: pure."""

from __future__ import annotations

from twinsight.records import Response

from .driver import Outcome
from .search import Finding

__all__ = ["finding_lines"]

_SHOWN = 200  # characters of a body shown per answer


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}... ({len(text)} characters)"


def _answer(response: Response) -> str:
    if response.status is None:
        return f"no answer ({response.error})"
    body = " ".join(response.body.data.decode("utf-8", "replace").split())
    return f"{response.status} {_clip(body)}".rstrip()


def _request(outcome: Outcome) -> str:
    step = outcome.step
    line = step.method + " " + step.path + (f"?{step.query}" if step.query else "")
    return line + (f" {_clip(step.payload.decode())}" if step.has_body else "")


def finding_lines(number: int, finding: Finding) -> list[str]:
    """`number`. the classification and reason, then each step with both answers."""
    classification, reason = finding.verdict
    shrunk = f" (not shrunk: {finding.unshrunk})" if finding.unshrunk else ""
    lines = [f"divergence {number}: {classification} in {finding.operation}{shrunk}: {reason}"]
    for index, outcome in enumerate(finding.steps, 1):
        lines += [
            f"  {index}. {_request(outcome)}",
            f"     legacy:    {_answer(outcome.legacy)}",
            f"     candidate: {_answer(outcome.candidate)}",
        ]
    return lines
