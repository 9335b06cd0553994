"""Sending a minimizer's candidates to the live legacy and candidate, as replay sends.

Headers go out as in `twinsight replay`: hop-by-hop ones and recorded `Host` and
`Content-Length` left out, `--header` overrides applied, redacted values
dropped, `X-Twinsight-Replay` naming the run. Whether the two answers still
show the divergence is for an injected `Judge` to say (analysis compares them).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from yarl import URL

from twinsight.records import PRIMARY_TARGET, Response
from twinsight.traffic import Target, to_tuple

from .outgoing import REPLAY_HEADER, HeaderOverrides, outgoing_headers
from .shrink import Request

__all__ = ["Answers", "Judge", "LiveCheck", "as_sent", "live_check", "send_one"]

Judge = Callable[[Response, Response], bool]
"""(the legacy's answer, the candidate's) -> whether the divergence is still there."""

Answers = dict[Request, tuple[Response, Response]]
"""The legacy's and the candidate's answer to each request sent."""

CANDIDATE = "candidate"


def as_sent(request: Request, target: str, overrides: HeaderOverrides) -> Request:
    """`request` with the headers a send to `target` carries (for a copy-as-curl: without
    twinsight's replay marker)."""
    headers, _ = outgoing_headers(request.headers, target, overrides, run="")
    headers.popall(REPLAY_HEADER, None)
    return replace(request, headers=to_tuple(headers))


async def send_one(
    target: Target,
    request: Request,
    overrides: HeaderOverrides,
    *,
    run: str,
    max_body: int = 1 << 20,
) -> Response:
    """Send `request` once to an opened `target` (its timeout bounds the call) and return its
    answer: status, headers and the first `max_body` bytes of the body, or the error kind."""
    headers, _ = outgoing_headers(request.headers, target.name, overrides, run=run)
    return await target.call(
        request.method, request.path, request.query, headers, request.body, max_body=max_body
    )


class LiveCheck:
    """`still_diverges` for `minimize`: each request to both targets at once, judged by
    `judge`. Counts what went to each target; a request already sent is answered from
    what it got then, so a write never goes twice.

    `answers` may be shared by several checks (one per cluster, each its own judge), so
    an example two clusters share is not written twice either."""

    def __init__(
        self,
        legacy: Target,
        candidate: Target,
        judge: Judge,
        *,
        overrides: HeaderOverrides,
        run: str = "minimize",
        answers: Answers | None = None,
    ) -> None:
        self.legacy, self.candidate, self.judge = legacy, candidate, judge
        self.overrides, self.run = overrides, run
        self.sent: Counter[str] = Counter()
        self.answers: Answers = {} if answers is None else answers

    async def __call__(self, request: Request) -> bool:
        """Whether `request` still diverges on the live targets."""
        if request in self.answers:
            return self.judge(*self.answers[request])
        answers = await asyncio.gather(
            *(
                send_one(target, request, self.overrides, run=self.run)
                for target in (self.legacy, self.candidate)
            )
        )
        self.sent.update((self.legacy.name, self.candidate.name))
        self.answers[request] = (answers[0], answers[1])
        return self.judge(answers[0], answers[1])


@asynccontextmanager
async def live_check(
    legacy_url: str,
    candidate_url: str,
    judge: Judge,
    *,
    overrides: HeaderOverrides | None = None,
    timeout: float = 10.0,
    run: str = "minimize",
    answers: Answers | None = None,
) -> AsyncIterator[LiveCheck]:
    """A `LiveCheck` against two base URLs, each call bounded by `timeout` seconds, the
    connection pools closed on exit; `answers` as `LiveCheck` shares them."""
    legacy = Target(PRIMARY_TARGET, URL(legacy_url), timeout)
    candidate = Target(CANDIDATE, URL(candidate_url), timeout)
    try:
        for target in (legacy, candidate):
            await target.open(pool=4)
        yield LiveCheck(
            legacy, candidate, judge, overrides=overrides or {}, run=run, answers=answers
        )
    finally:
        for target in (legacy, candidate):
            await target.close()
