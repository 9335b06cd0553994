"""Conditional requests through the proxy: each target gets its own validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web
from multidict import CIMultiDict

from .conftest import Start
from .test_shadow import fetch
from .upstream import SEEN


def versioned(name: str, epoch: datetime) -> web.Application:
    """One document whose ETag and Last-Modified are this service's own (`name`-version)."""
    state = {"version": 1}
    seen: list[dict[str, object]] = []

    def validators() -> dict[str, str]:
        modified = epoch + timedelta(seconds=state["version"])
        return {
            "ETag": f'"{name}-{state["version"]}"',
            "Last-Modified": format_datetime(modified, usegmt=True),
        }

    async def document(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "headers": dict(request.headers)})
        current = validators()
        if request.method == "GET":
            if request.headers.get("If-None-Match") == current["ETag"]:
                return web.Response(status=304, headers=current)
            return web.Response(body=b"{}", headers=current)
        if request.headers.get("If-Match") != current["ETag"]:
            return web.Response(status=412)
        state["version"] += 1
        return web.Response(body=b"{}", headers=validators())

    app = web.Application()
    app[SEEN] = seen
    app.router.add_route("*", "/doc", document)
    return app


async def test_a_conditional_write_reaches_the_candidate_with_its_own_etag(capture: Start) -> None:
    running = await capture(
        upstreams={
            "legacy": versioned("legacy", datetime(2026, 1, 1, tzinfo=UTC)),
            "candidate": versioned("candidate", datetime(2026, 6, 1, tzinfo=UTC)),
        },
        mirror_writes=True,
    )
    status, headers, _ = await fetch(running.url + "/doc")
    etag = CIMultiDict(headers)["ETag"]
    assert (status, etag) == (200, '"legacy-1"')
    assert (await fetch(running.url + "/doc", "PUT", data=b"{}", headers={"If-Match": etag}))[
        0
    ] == 200
    status, headers, _ = await fetch(running.url + "/doc")
    modified = CIMultiDict(headers)["Last-Modified"]
    conditional = {"If-None-Match": '"legacy-2"', "If-Modified-Since": modified}
    assert (await fetch(running.url + "/doc", headers=conditional))[0] == 304
    await running.finish()
    sent = [s["headers"] for s in running.seen("candidate")]
    assert sent[1]["If-Match"] == '"candidate-1"'
    assert sent[3]["If-None-Match"] == '"candidate-2"'
    assert sent[3]["If-Modified-Since"] == "Mon, 01 Jun 2026 00:00:02 GMT"
    assert running.rows(
        "SELECT method, list(status ORDER BY target) FROM exchanges JOIN responses"
        " ON responses.exchange_id = exchanges.id GROUP BY exchanges.id, method, ts ORDER BY ts"
    ) == [("GET", [200, 200]), ("PUT", [200, 200]), ("GET", [200, 200]), ("GET", [304, 304])]
    assert running.rows(
        "SELECT location, legacy_value, target_value FROM correlations ORDER BY 1"
    ) == [
        ("headers.if-match", '"legacy-1"', '"candidate-1"'),
        (
            "headers.if-modified-since",
            "Thu, 01 Jan 2026 00:00:02 GMT",
            "Mon, 01 Jun 2026 00:00:02 GMT",
        ),
        ("headers.if-none-match", '"legacy-2"', '"candidate-2"'),
    ]
