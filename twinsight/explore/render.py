"""A finding as plain numbered steps, each with the two answers: pure."""

from __future__ import annotations

import re
from typing import Any

from twinsight.records import Response

from .driver import Outcome
from .search import Finding

__all__ = ["finding_lines", "readable"]

_SHOWN = 200  # characters of a body shown per answer


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}... ({len(text)} characters)"


def _answer(response: Response) -> str:
    if response.status is None:
        return f"no answer ({response.error})"
    body = readable(" ".join(response.body.data.decode("utf-8", "replace").split()))
    return f"{response.status} {_clip(body)}".rstrip()


def readable(text: str) -> str:
    """`text` as a terminal shows it: characters that do not print as `\\uXXXX`, and a
    run of one character longer than 5 as `(c * N)`."""
    shown: list[str] = []
    for run in re.finditer(r"(.)\1*", text, re.S):
        char, count = run.group(1), len(run.group(0))
        char = char if char.isprintable() else f"\\u{ord(char):04x}"
        shown.append(f"({char} * {count})" if count > 5 else char * count)
    return "".join(shown)


def _sizes(body: Any) -> str:
    """The length of each long string field, in characters and UTF-8 bytes."""
    if not isinstance(body, dict):
        return ""
    sizes = [
        f"{name}: {len(value)} characters, {len(value.encode())} bytes"
        for name, value in body.items()
        if isinstance(value, str) and len(value) > 20
    ]
    return f" ({'; '.join(sizes)})" if sizes else ""


def _request(outcome: Outcome) -> str:
    step = outcome.step
    line = step.method + " " + step.path + (f"?{step.query}" if step.query else "")
    if not step.has_body:
        return line
    return f"{line} {_clip(readable(step.payload.decode()))}{_sizes(step.body)}"


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
