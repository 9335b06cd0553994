"""A legacy answering with hostile validators: the client still gets the legacy's answer."""

from __future__ import annotations

import pytest
from aiohttp import web
from multidict import CIMultiDict

from .conftest import Start
from .test_shadow import fetch
from .upstream import SEEN

HOSTILE_DATE = "Mon, 01 Jan 99999999999999999999 00:00:00 GMT"
# Nested quotes, as long as a client's default header line allows (8190 bytes).
ABSURD_ETAG = '"' + '"a"' * 2_600 + '"'


def answering(headers: dict[str, str]) -> web.Application:
    """Answers every request 200 with `headers` and a small body."""
    seen: list[dict[str, object]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "headers": dict(request.headers)})
        return web.Response(body=b'{"ok": true}', headers=headers)

    app = web.Application()
    app[SEEN] = seen
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@pytest.mark.parametrize(
    "hostile",
    [{"Last-Modified": HOSTILE_DATE}, {"ETag": ABSURD_ETAG}],
    ids=["last-modified", "etag"],
)
async def test_the_client_gets_the_legacy_answer_whatever_its_validators(
    capture: Start, hostile: dict[str, str]
) -> None:
    running = await capture(
        upstreams={
            "legacy": answering(hostile),
            "candidate": answering({"ETag": '"c1"', "Last-Modified": HOSTILE_DATE}),
        },
        mirror_writes=True,
    )
    for method in ("GET", "POST"):
        status, headers, body = await fetch(running.url + "/doc", method, data=b"{}")
        assert (status, body) == (200, b'{"ok": true}')
        [(name, value)] = hostile.items()
        assert CIMultiDict(headers)[name] == value
    conditional = {"If-Match": ABSURD_ETAG, "If-Modified-Since": HOSTILE_DATE}
    assert (await fetch(running.url + "/doc", headers=conditional))[0] == 200
    await running.finish()
    assert (
        running.rows(
            "SELECT list(status ORDER BY target) FROM exchanges JOIN responses"
            " ON responses.exchange_id = exchanges.id GROUP BY exchanges.id, ts ORDER BY ts"
        )
        == [([200, 200],)] * 3
    )
    assert len(running.seen("candidate")) == 3
