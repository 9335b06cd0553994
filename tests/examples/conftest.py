from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start

FACTORIES: dict[str, Callable[[], web.Application]] = {
    "legacy": make_legacy,
    "candidate": make_candidate,
}


class Client:
    """A small JSON client bound to one running service and one user's token."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session, self.url, self.token = session, url, token

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        auth: bool = True,
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}"} if auth else {}
        async with self.session.request(method, path, json=body, headers=headers) as answer:
            payload = (
                await answer.json()
                if answer.content_type == "application/json"
                else await answer.text()
            )
            return answer.status, payload, answer.headers

    async def create(self, title: str = "Buy groceries", **fields: Any) -> dict[str, Any]:
        status, body, _ = await self.call("POST", "/tasks", {"title": title, **fields})
        assert status == 201, body
        return dict(body)


async def running(name: str) -> tuple[web.AppRunner, str]:
    runner, port = await start(FACTORIES[name]())
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture(params=["legacy", "candidate"])
async def client(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    """Each service, really listening on an ephemeral port, failure injection off."""
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "0")
    runner, url = await running(request.param)
    async with aiohttp.ClientSession(url) as session:
        yield Client(session, url, make_token("alice"))
    await runner.cleanup()


@pytest.fixture
async def both() -> AsyncIterator[dict[str, Client]]:
    """Both services side by side, with their default behavior (divergences on)."""
    clients, runners, sessions = {}, [], []
    for name in FACTORIES:
        runner, url = await running(name)
        session = aiohttp.ClientSession(url)
        runners.append(runner)
        sessions.append(session)
        clients[name] = Client(session, url, make_token("alice"))
    yield clients
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()
