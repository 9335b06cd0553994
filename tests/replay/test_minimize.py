"""The minimizing loop with an injected predicate: bounds, writes, what it asks and why it stops."""

from __future__ import annotations

import json

from twinsight.replay.minimize import (
    NONE_SMALLER,
    NOT_REPRODUCED,
    NOT_WRITES,
    STEP_BOUND,
    minimize,
)
from twinsight.replay.shrink import Request

LONG = Request(
    "POST",
    "/tasks",
    "",
    (("Content-Type", "application/json"), ("Accept", "*/*")),
    json.dumps({"title": "é" * 200, "description": "d"}).encode(),
)


def _title(request: Request) -> str:
    try:
        title = json.loads(request.body).get("title")
    except (ValueError, AttributeError):
        return ""
    return title if isinstance(title, str) else ""


class Asked:
    """A predicate that remembers what it was asked: the title still over 255 bytes."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    async def __call__(self, request: Request) -> bool:
        self.requests.append(request)
        return len(_title(request).encode()) > 255


async def test_writes_are_left_alone_without_allow_writes() -> None:
    asked = Asked()
    result = await minimize(LONG, asked)
    assert (result.request, result.reason, result.steps) == (LONG, NOT_WRITES, 0)
    assert asked.requests == []
    assert not result.reproduced


async def test_with_writes_allowed_no_request_is_asked_about_twice() -> None:
    asked = Asked()
    result = await minimize(LONG, asked, allow_writes=True)
    assert json.loads(result.request.body) == {"title": "é" * 128}
    assert result.reason == NONE_SMALLER
    assert asked.requests[0] == LONG  # the original is checked first
    assert len(asked.requests) == len(set(asked.requests)) == result.steps
    assert "body.title shortened" in result.accepted


async def test_the_title_bisects_in_few_steps() -> None:
    asked = Asked()
    await minimize(LONG, asked, allow_writes=True)
    shorter = [r for r in asked.requests if 0 < len(_title(r)) < 200]
    # 0, 199, then a bisection over 1..198 (8 tries) and one try in plain letters; once
    # at 128 every further try is remembered: 128 and 127 are not asked again
    assert len(shorter) <= 12


async def test_a_request_that_does_not_diverge_comes_back_unchanged() -> None:
    async def never(request: Request) -> bool:
        return False

    result = await minimize(LONG, never, allow_writes=True)
    assert (result.request, result.reason, result.steps) == (LONG, NOT_REPRODUCED, 1)


async def test_the_step_bound_stops_with_the_smallest_so_far() -> None:
    asked = Asked()
    result = await minimize(LONG, asked, allow_writes=True, max_steps=5)
    assert result.reason == STEP_BOUND
    assert len(asked.requests) == result.steps == 5
    assert len(result.request.body) < len(LONG.body)


async def test_the_time_bound_stops_the_search() -> None:
    asked = Asked()
    result = await minimize(LONG, asked, allow_writes=True, max_seconds=0)
    assert result.reason == "time bound reached"
    assert (result.request, asked.requests) == (LONG, [])


async def test_reads_are_minimized_without_allow_writes() -> None:
    request = Request("GET", "/tasks", "status=pending&limit=50&sort=title", (("Accept", "*/*"),))

    async def pending(candidate: Request) -> bool:
        return "status=pending" in candidate.query

    result = await minimize(request, pending)
    assert (result.request.query, result.request.headers) == ("status=pending", ())
