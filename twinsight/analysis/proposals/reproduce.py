"""Whether two live answers still show a cluster's divergence: the judge a minimizer asks
after each smaller request. Pure functions."""

from __future__ import annotations

from collections.abc import Callable

from twinsight.analysis.diff import Message, diff_responses
from twinsight.records import Response

__all__ = ["message_of", "still_diverges"]


def message_of(response: Response) -> Message:
    """A live answer as analysis compares it."""
    return Message(
        status=response.status,
        headers=response.headers,
        body=response.body.data,
        truncated=response.body.truncated,
        error=response.error,
        latency_ms=response.latency_ms,
    )


def still_diverges(location: str, kind: str) -> Callable[[Response, Response], bool]:
    """A judge: whether the legacy's and the candidate's answers differ at `location`
    (indexes folded) with `kind`, as the cluster did."""

    def judge(legacy: Response, candidate: Response) -> bool:
        found = diff_responses(message_of(legacy), message_of(candidate))
        return any(d.group == location and d.kind == kind for d in found)

    return judge
