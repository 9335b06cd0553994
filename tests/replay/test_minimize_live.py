"""Minimizing against live servers: two small diverging services and the bundled example."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.records import Response
from twinsight.replay.minimize import NOT_WRITES, minimize
from twinsight.replay.probe import as_sent, live_check
from twinsight.replay.shrink import Request

TOKEN = "Bearer s3cret"
OVERRIDES = {"*": [("Authorization", TOKEN)]}
RECORDED = Request(
    "POST",
    "/tasks",
    "notify=yes&source=web",
    (
        ("Host", "tasks.example"),
        ("Authorization", "<redacted:4f2a>"),  # as a store keeps it
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("User-Agent", "app/1.0"),
        ("Content-Length", "999"),
    ),
    json.dumps({"title": "é" * 200, "description": "weekly", "due_date": "2026-12-01"}).encode(),
)


@dataclass
class Seen:
    """Every request one server received: (method, query, body, headers)."""

    requests: list[tuple[str, str, bytes, tuple[tuple[str, str], ...]]] = field(
        default_factory=list
    )


def service(seen: Seen, *, in_bytes: bool) -> web.Application:
    """POST /tasks: 401 without the token, 400 for a title over 255 (bytes or characters)."""

    async def create(request: web.Request) -> web.Response:
        body = await request.read()
        auth = request.headers.get("Authorization")
        headers = tuple(sorted(request.headers.items()))
        seen.requests.append((request.method, request.query_string, body, headers))
        if auth != TOKEN:
            return web.json_response({"error": "Authentication required"}, status=401)
        try:
            title = json.loads(body)["title"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "Title is required"}, status=400)
        length = len(title.encode()) if in_bytes and isinstance(title, str) else len(title)
        if not isinstance(title, str) or not title or length > 255:
            return web.json_response({"error": "Title too long (max 255)"}, status=400)
        return web.json_response({"id": 1, "title": title}, status=201)

    app = web.Application()
    app.router.add_post("/tasks", create)
    return app


@pytest.fixture
async def servers() -> AsyncIterator[tuple[dict[str, Seen], dict[str, str]]]:
    seen = {"legacy": Seen(), "candidate": Seen()}
    runners, urls = [], {}
    for name, in_bytes in (("legacy", True), ("candidate", False)):
        runner, port = await start(service(seen[name], in_bytes=in_bytes))
        runners.append(runner)
        urls[name] = f"http://127.0.0.1:{port}"
    yield seen, urls
    for runner in runners:
        await runner.cleanup()


def legacy_refuses(legacy: Response, candidate: Response) -> bool:
    return (legacy.status, candidate.status) == (400, 201)


async def test_the_long_title_shrinks_against_two_live_servers(
    servers: tuple[dict[str, Seen], dict[str, str]],
) -> None:
    seen, urls = servers
    async with live_check(
        urls["legacy"], urls["candidate"], legacy_refuses, overrides=OVERRIDES
    ) as check:
        result = await minimize(RECORDED, check, allow_writes=True)
    assert json.loads(result.request.body) == {"title": "é" * 128}
    assert result.request.query == ""
    assert [n for n, _ in result.request.headers] == ["Host", "Authorization", "Content-Type"]
    for name in ("legacy", "candidate"):
        requests = seen[name].requests
        assert check.sent[name] == len(requests) == result.steps
        writes = Counter(requests)
        assert writes.most_common(1)[0][1] == 1, "an identical write went twice"
        auth = {dict(headers).get("Authorization") for *_, headers in requests}
        assert auth == {TOKEN, None}  # the override or (tried once) none: never the marker


async def test_writes_are_not_sent_without_allow_writes(
    servers: tuple[dict[str, Seen], dict[str, str]],
) -> None:
    seen, urls = servers
    async with live_check(
        urls["legacy"], urls["candidate"], legacy_refuses, overrides=OVERRIDES
    ) as check:
        result = await minimize(RECORDED, check)
    assert (result.request, result.reason) == (RECORDED, NOT_WRITES)
    assert seen["legacy"].requests == seen["candidate"].requests == []


async def test_the_check_never_sends_a_write_twice(
    servers: tuple[dict[str, Seen], dict[str, str]],
) -> None:
    _, urls = servers
    async with live_check(
        urls["legacy"], urls["candidate"], legacy_refuses, overrides=OVERRIDES
    ) as check:
        assert await check(RECORDED)
        assert await check(RECORDED)  # judged on the answers the first send got
    assert check.sent == Counter({"legacy": 1, "candidate": 1})


def test_as_sent_applies_overrides_and_leaves_out_what_the_client_computes() -> None:
    sent = as_sent(RECORDED, "legacy", OVERRIDES)
    assert dict(sent.headers) == {
        "Authorization": TOKEN,
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "app/1.0",
    }
    assert dict(as_sent(RECORDED, "legacy", {}).headers).get("Authorization") is None


@pytest.fixture
async def example(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, str]]:
    """The bundled example services, failure injection off."""
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "0")
    urls, runners = {}, []
    for name, make_app in (("legacy", make_legacy), ("candidate", make_candidate)):
        runner, port = await start(make_app())
        runners.append(runner)
        urls[name] = f"http://127.0.0.1:{port}"
    yield urls
    for runner in runners:
        await runner.cleanup()


async def test_the_bundled_example_reaches_the_shortest_diverging_title(
    example: dict[str, str],
) -> None:
    token = {"*": [("Authorization", f"Bearer {make_token('alice')}")]}

    def status_differs(legacy: Response, candidate: Response) -> bool:
        return legacy.status != candidate.status

    async with live_check(
        example["legacy"], example["candidate"], status_differs, overrides=token
    ) as check:
        result = await minimize(RECORDED, check, allow_writes=True)
    assert json.loads(result.request.body) == {"title": "é" * 128}
    assert result.reason == "no smaller request still diverges"
