"""One classification per exchange and candidate, with the reason that decided it.

In order of precedence:

0. `not_comparable`: a replay both targets refused for want of the recording's credentials
   (see `comparable.not_comparable`; decided by `Judge` before any difference is looked at):
   evidence missing, never agreement;
1. `candidate_error`: the candidate timed out, was refused, reset, or answered
   5xx or a SOAP fault where the legacy answered below 500 and no fault;
2. `regression`: the candidate fails a scenario line the legacy passes;
3. `spec_conflict`: both fail a scenario line (the spec or its binding is wrong);
4. `explained`: the candidate passes a line the legacy fails (the spec intends
   the change), or every real difference is an accepted one;
5. `unexplained`: real differences nothing covers;
6. `noise`: only noise differences (normalization rules, the replica, or, without a
   replica, inferred from the traffic itself: `inferred: time`, `opaque`,
   `correlated id` or `unstable order`);
7. `match`: no difference at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from .bodies.soap import body_fault
from .diff import Difference, Message
from .scenarios import LineResult

__all__ = ["CLASSIFICATIONS", "INFERRED_PREFIX", "Classification", "Judged", "Verdict", "classify"]

Classification = Literal[
    "match",
    "noise",
    "explained",
    "regression",
    "spec_conflict",
    "candidate_error",
    "unexplained",
    "not_comparable",
]
CLASSIFICATIONS: tuple[Classification, ...] = get_args(Classification)
INFERRED_PREFIX = "inferred: "
"""How a noise reason assumed without a replica begins (`inferred: time`, `inferred: opaque`,
`inferred: correlated id`, `inferred: unstable order`)."""


@dataclass(frozen=True)
class Judged:
    """A difference and what, if anything, discounts it."""

    difference: Difference
    noise: str | None = None  # why: a rule's where, "replica", or "inferred: <what>"
    accepted: str | None = None  # the spec's accepted rule that covers it, with its why

    @property
    def real(self) -> bool:
        """Neither noise nor accepted."""
        return self.noise is None and self.accepted is None

    @property
    def inferred(self) -> bool:
        """Noise assumed from the exchange itself (no replica), counted apart from the rest."""
        return self.noise is not None and self.noise.startswith(INFERRED_PREFIX)


@dataclass(frozen=True)
class Verdict:
    """The classification and the one reason a reviewer reads first."""

    classification: Classification
    reason: str


def classify(
    legacy: Message, candidate: Message, judged: Sequence[Judged], lines: Sequence[LineResult]
) -> Verdict:
    """Classify one exchange for one candidate."""
    # A check the budget stopped on either side says nothing about either.
    lines = [x for x in lines if not (x.legacy.inconclusive or x.candidate.inconclusive)]
    if candidate.error is not None and legacy.error is None:
        return Verdict("candidate_error", f"the candidate gave no answer: {candidate.error}")
    failed = _candidate_failed(legacy, candidate)
    if failed is not None:
        return failed
    for line in lines:
        if line.legacy.passed and not line.candidate.passed:
            return Verdict(
                "regression",
                f"{line.scenario}: {line.line} (candidate: {line.candidate.reason})",
            )
    for line in lines:
        if not line.legacy.passed and not line.candidate.passed:
            return Verdict(
                "spec_conflict",
                f"{line.scenario}: {line.line} (both fail: {line.candidate.reason})",
            )
    intended = next((x for x in lines if x.candidate.passed and not x.legacy.passed), None)
    if intended is not None:
        return Verdict("explained", f"{intended.scenario}: {intended.line} (the legacy fails it)")
    real = [j for j in judged if j.real]
    if real:
        first = real[0].difference
        return Verdict("unexplained", f"{first.location} {first.kind}: {_values(first)}")
    accepted = next((j for j in judged if j.accepted is not None), None)
    if accepted is not None:
        return Verdict("explained", f"accepted: {accepted.accepted}")
    if judged:
        inferred = sum(1 for j in judged if j.inferred)
        assumed = f" ({inferred} inferred)" if inferred else ""
        return Verdict(
            "noise", f"{len(judged)} noise difference(s){assumed}, e.g. {judged[0].noise}"
        )
    return Verdict("match", "no difference")


def _server_error(message: Message) -> bool:
    return message.status is not None and message.status >= 500


def _candidate_failed(legacy: Message, candidate: Message) -> Verdict | None:
    """`candidate_error` when the candidate answered 5xx or a SOAP fault and the legacy did not."""
    if legacy.error is not None:
        return None
    fault = body_fault(candidate.body, candidate.header("content-type"))
    if fault is not None and not _server_error(legacy) and not _fault(legacy):
        return Verdict(
            "candidate_error",
            f"the candidate answered a SOAP fault ({fault}) with {candidate.status}, "
            f"the legacy {legacy.status}",
        )
    if _server_error(candidate) and not _server_error(legacy):
        return Verdict(
            "candidate_error",
            f"the candidate answered {candidate.status}, the legacy {legacy.status}",
        )
    return None


def _fault(message: Message) -> bool:
    return body_fault(message.body, message.header("content-type")) is not None


def _values(difference: Difference) -> str:
    text = f"legacy {difference.legacy!r}, candidate {difference.candidate!r}"
    return text if len(text) <= 120 else text[:117] + "..."
