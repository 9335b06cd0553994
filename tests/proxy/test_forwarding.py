"""X-Forwarded-* as the proxy and the sink pass them on: believed only from trusted peers."""

from __future__ import annotations

import aiohttp
import pytest

from .conftest import Start

CLAIMS = {
    "Host": "api.test",
    "X-Forwarded-For": "10.9.9.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "admin.internal",
    "X-Real-IP": "10.9.9.9",
    "X-Forwarded-Prefix": "/admin",
    "X_Forwarded_For": "9.9.9.9",
    "True-Client-IP": "9.9.9.9",
}
OTHERS = ("X-Forwarded-Prefix", "X_Forwarded_For", "True-Client-IP")
TOLD = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP")


async def get(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=CLAIMS) as answer:
        return answer.status


def told(headers: dict[str, str]) -> tuple[str | None, ...]:
    return tuple(headers.get(name) for name in TOLD)


@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        ([], ("127.0.0.1", "http", "api.test", None)),  # what the proxy saw, nothing else
        (["10.0.0.0/8"], ("127.0.0.1", "http", "api.test", None)),
        (["127.0.0.1"], ("10.9.9.9, 127.0.0.1", "https", "admin.internal", "10.9.9.9")),
    ],
    ids=["untrusted", "another network trusted", "peer trusted"],
)
async def test_the_proxy_replaces_what_an_untrusted_client_claims(
    capture: Start, trust: list[str], expected: tuple[str | None, ...]
) -> None:
    running = await capture(trust_forwarded=trust)
    assert await get(running.url + "/echo") == 200
    await running.finish()
    for target in ("legacy", "candidate"):
        headers = running.seen(target)[0]["headers"]
        assert told(headers) == expected
        others = tuple(headers.get(name) for name in OTHERS)
        kept = trust == ["127.0.0.1"]
        assert others == (("/admin", "9.9.9.9", "9.9.9.9") if kept else (None,) * 3)


@pytest.mark.parametrize(
    ("trust", "expected", "scheme"),
    [
        # the traffic layer's headers are what the legacy saw: passed on as they are
        ([], ("10.9.9.9", "https", "admin.internal", "10.9.9.9"), "https"),
        (["127.0.0.0/8"], ("10.9.9.9", "https", "admin.internal", "10.9.9.9"), "https"),
        (["10.0.0.0/8"], ("127.0.0.1", "http", "api.test", None), "http"),
    ],
    ids=["default", "peer trusted", "peer not trusted"],
)
async def test_the_sink_passes_the_traffic_layers_headers_on_unless_told_otherwise(
    capture: Start, trust: list[str], expected: tuple[str | None, ...], scheme: str
) -> None:
    running = await capture("sink", trust_forwarded=trust)
    assert await get(running.url + "/echo") == 202
    await running.finish()
    assert told(running.seen("legacy")[0]["headers"]) == expected
    assert told(running.seen("candidate")[0]["headers"]) == expected
    assert running.rows("SELECT scheme FROM exchanges") == [(scheme,)]
