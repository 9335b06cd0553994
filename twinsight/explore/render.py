"""A finding as plain numbered steps, each with the two answers: pure."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from twinsight.records import Response

from .driver import Outcome
from .properties import Checked, Trial
from .search import Finding

__all__ = ["finding_lines", "property_lines", "readable"]

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
    if finding.confirmed is False:
        shrunk += f" (did not diverge again when sent once more as session {finding.session})"
    head = f"divergence {number}: {classification} in {finding.operation}{shrunk}: {reason}"
    kept = (
        [f"  (stored as session {finding.session}: twinsight propose offers it as a scenario)"]
        if finding.confirmed
        else []
    )
    return [head, *_steps(finding.steps), *kept]


_STEPS_SHOWN = 3  # trials per property whose steps are printed in full


def property_lines(checked: Sequence[Checked]) -> list[str]:
    """Each declared property: its verdict, each trial not kept by both (the first few with
    their steps and both answers), and each trial or property not checked, with why."""
    if not checked:
        return []
    counts = Counter(c.classification for c in checked)
    tally = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()))
    lines = [f"properties: {len(checked)} declared ({tally})"]
    for c in checked:
        verdict = c.classification.replace("_", " ")
        if c.skipped:
            lines.append(f"  {verdict}: {c.prop.name}: {c.skipped}")
            continue
        kept = sum(1 for t in c.trials if t.classification == "match")
        lines.append(f"  {verdict}: {c.prop.name}: {kept} of {len(c.trials)} trial(s) kept by both")
        shown = 0
        for trial in c.trials:
            if trial.classification == "match":
                continue
            lines.append(f"    {trial.what}: {_trial_words(trial)}")
            if trial.legacy is not None and shown < _STEPS_SHOWN:
                shown += 1
                lines += [f"    {line}" for line in _steps(trial.steps)]
    return lines


def _trial_words(trial: Trial) -> str:
    if trial.skipped or trial.legacy is None or trial.candidate is None:
        return f"not checked: {trial.skipped or 'a target gave no result'}"
    sides = (("legacy", trial.legacy), ("candidate", trial.candidate))
    said = "; ".join(f"{name} {kept.how if not kept.kept else 'kept it'}" for name, kept in sides)
    return f"{trial.classification.replace('_', ' ')}: {said}"


def _steps(outcomes: Sequence[Outcome]) -> list[str]:
    lines = []
    for index, outcome in enumerate(outcomes, 1):
        lines += [
            f"  {index}. {_request(outcome)}",
            f"     legacy:    {_answer(outcome.legacy)}",
            f"     candidate: {_answer(outcome.candidate)}",
        ]
    return lines
