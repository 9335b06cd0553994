"""A rate limit per user, judged on each identity's own requests of a load run (pure).

Each identity's requests in the order they were sent, with a window of the limit's
length sliding over them: a 429 must come only once the identity had `count` requests
accepted within the window, and each identity that sent more than `count` within a
window must have been refused at least once. An identity that never went past the
limit proves nothing either way, and says so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from twinsight.spec.constraints import RateLimitCheck
from twinsight.store.loads import LoadRow

__all__ = ["Status", "UserLimit", "judge_users", "per_user", "timelines"]

Status = Literal["met", "missed", "not measurable"]
REFUSED = 429
NO_ANSWER = 0


@dataclass(frozen=True)
class UserLimit:
    """What one identity's requests show of the limit."""

    identity: int
    sent: int
    refused: int
    past: bool  # it sent more than the limit within some window
    early: int | None  # accepted within the window at its first 429 too early, if any
    accepted: int


def per_user(check: RateLimitCheck, rows: Sequence[LoadRow]) -> tuple[Status, float, str]:
    """(met / missed / not measurable, 429s, why) of a per-user limit over one target's
    rows, its identities each judged on their own requests."""
    users = judge_users(check, timelines(rows), max(1, rows[0].users // (rows[0].identities or 1)))
    refused = sum(u.refused for u in users)
    per = f"{check.count} per {check.per_seconds}s"
    duration = rows[0].duration_s
    allowed = check.most_accepted(duration)
    for user in users:
        if user.early is not None:
            why = f"user {user.identity + 1} was refused after {user.early} accepted in a window"
            return "missed", float(refused), f"{why}, within the limit of {per}"
        if user.past and not user.refused:
            why = f"user {user.identity + 1} sent more than {per} and was never refused"
            return "missed", float(refused), why
        if user.accepted > allowed:
            why = f"user {user.identity + 1} had {user.accepted} accepted in {duration:g}s"
            return "missed", float(refused), f"{why}, the limit allows at most {allowed}"
    went = [u for u in users if u.past]
    if not went:
        why = (
            f"none of {len(users)} users sent more than {per}: run twinsight load "
            "with a higher --rate or fewer --users"
        )
        return "not measurable", float(refused), why
    sent = sum(u.sent for u in users)
    why = (
        f"each of {len(went)} of {len(users)} users that sent more than {per} was refused, "
        f"none before ({refused} of {sent} answers were 429)"
    )
    return "met", float(refused), why


def timelines(rows: Sequence[LoadRow]) -> dict[int, list[tuple[float, int]]]:
    """identity -> (sent at ms, status) of its requests over every endpoint, by time."""
    found: dict[int, list[tuple[float, int]]] = {}
    for row in rows:
        for sent, who, code in zip(row.sent_ms or (), row.who or (), row.codes or (), strict=False):
            found.setdefault(who, []).append((sent, code))
    return {who: sorted(events) for who, events in sorted(found.items())}


def judge_users(
    check: RateLimitCheck, events: dict[int, list[tuple[float, int]]], slack: int
) -> list[UserLimit]:
    """Each identity's requests against `check`; `slack`: how many requests in flight
    together may reach the service in another order than they were sent."""
    return [_user(check, who, mine, slack) for who, mine in events.items()]


def _user(
    check: RateLimitCheck, who: int, events: list[tuple[float, int]], slack: int
) -> UserLimit:
    window = check.per_seconds * 1000.0
    sent: deque[float] = deque()
    accepted: deque[float] = deque()
    past, early, refused, total = False, None, 0, 0
    for at, code in events:
        for times in (sent, accepted):
            while times and times[0] <= at - window:
                times.popleft()
        sent.append(at)
        past = past or len(sent) > check.count
        if code == REFUSED:
            refused += 1
            if early is None and len(accepted) < check.count - slack:
                early = len(accepted)
        elif code != NO_ANSWER:
            accepted.append(at)
            total += 1
    return UserLimit(who, len(events), refused, past, early, total)
