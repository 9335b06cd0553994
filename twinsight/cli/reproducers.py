"""`propose --minimize`: each proposal's example request shrunk against the live targets
(replay's minimizer), judged by analysis's diff, and written back into the proposal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from twinsight.analysis.proposals import Proposal
from twinsight.analysis.proposals.reproduce import still_diverges
from twinsight.replay.curl import as_curl
from twinsight.replay.minimize import Minimized, minimize
from twinsight.replay.outgoing import HeaderOverrides
from twinsight.replay.probe import Answers, as_sent, live_check
from twinsight.replay.shrink import Request

__all__ = ["Limits", "Reproduced", "minimize_proposals"]

_SHOWN = 300  # characters of a reproducer's body in the proposal file


@dataclass(frozen=True)
class Limits:
    """How far `--minimize` may go: per cluster, and whether writes may be re-sent."""

    max_steps: int = 200
    max_seconds: float = 60.0
    allow_writes: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class Reproduced:
    """One proposal after minimizing: the search, and a copy-as-curl per target."""

    proposal: Proposal
    outcome: Minimized | None  # None: nothing to send again (no example, or a cut body)
    curls: dict[str, str]
    note: str = ""


def minimize_proposals(
    proposals: Sequence[Proposal],
    urls: dict[str, str],
    overrides: HeaderOverrides,
    limits: Limits,
    on_done: Callable[[Reproduced], None] = lambda _: None,
) -> list[Reproduced]:
    """Every proposal, its example shrunk against `urls` (`legacy`, `candidate`)."""

    async def run() -> list[Reproduced]:
        found = []
        answers: Answers = {}  # shared: an example two clusters share is sent once
        for proposal in proposals:
            done = await _one(proposal, urls, overrides, limits, answers)
            on_done(done)
            found.append(done)
        return found

    return asyncio.run(run())


async def _one(
    proposal: Proposal,
    urls: dict[str, str],
    overrides: HeaderOverrides,
    limits: Limits,
    answers: Answers,
) -> Reproduced:
    example = proposal.example
    if example is None or example.raw is None:
        return Reproduced(proposal, None, {}, "no example request to send again")
    if example.raw.truncated:
        return Reproduced(proposal, None, {}, "the recorded request body was cut: not re-sent")
    raw = example.raw
    request = Request(
        example.request.method, example.request.path, raw.query, raw.headers, raw.body
    )
    judge = still_diverges(proposal.location, proposal.kind)
    async with live_check(
        urls["legacy"],
        urls["candidate"],
        judge,
        overrides=overrides,
        timeout=limits.timeout,
        answers=answers,
    ) as check:
        outcome = await minimize(
            request,
            check,
            max_steps=limits.max_steps,
            max_seconds=limits.max_seconds,
            allow_writes=limits.allow_writes,
        )
    curls = {t: as_curl(as_sent(outcome.request, t, overrides), u) for t, u in urls.items()}
    lines = _evidence(outcome, check.sent[check.legacy.name])
    return Reproduced(replace(proposal, evidence=(*proposal.evidence, *lines)), outcome, curls)


def _evidence(outcome: Minimized, sent: int) -> list[str]:
    """The smallest reproducer, as the proposal file shows it (recorded headers only: a
    `--header` value never goes into a file); `sent`: requests sent to each target for it
    (a request another cluster's search sent is judged on its answers, not sent again)."""
    if not outcome.reproduced:
        return [f"reproducer: not minimized ({outcome.reason})"]
    request = outcome.request
    target = request.path + (f"?{request.query}" if request.query else "")
    lines = [
        f"smallest reproducer ({outcome.steps} request(s) tried, {sent} sent to each target; "
        f"{outcome.reason}):",
        f"  {request.method} {target}",
    ]
    if request.body:
        text = request.body.decode("utf-8", "replace")
        lines.append("  body: " + (text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."))
    return lines
