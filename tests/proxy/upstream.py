"""A real upstream service for proxy tests, with the shapes of answer a proxy must pass through."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import itertools
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from twinsight.examples.tasks.serve import start

BIG = bytes(range(256)) * (12 * 4096)  # 12 MiB
GZIPPED = gzip.compress(orjson.dumps({"hello": "world", "n": list(range(50))}))
SEEN = web.AppKey("seen", list)


@contextlib.asynccontextmanager
async def serving(*apps: web.Application) -> AsyncIterator[list[int]]:
    """Each app listening on an ephemeral port of 127.0.0.1 (their ports, in order)."""
    runners: list[web.AppRunner] = []
    try:
        for app in apps:
            runners.append((await start(app))[0])
        yield [int(runner.addresses[0][1]) for runner in runners]
    finally:
        for runner in runners:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def process(*command: str, **options: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    """`command` running for the block, killed at its end if it has not exited by then."""
    started = await asyncio.create_subprocess_exec(*command, **options)
    try:
        yield started
    finally:
        if started.returncode is None:
            started.kill()
            await started.wait()


def make_upstream(name: str, *, delay: float = 0.0, reset: bool = False) -> web.Application:
    """An upstream named `name`; `delay` slows every answer, `reset` drops every connection."""
    ids = itertools.count(1)
    seen: list[dict[str, object]] = []

    async def everything(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append(
            {
                "method": request.method,
                "path": request.raw_path,
                "headers": dict(request.headers),
                "body": body,
            }
        )
        if reset:
            assert request.transport is not None
            request.transport.abort()
            raise web.HTTPInternalServerError
        if delay:
            await asyncio.sleep(delay)
        route = request.path.strip("/").split("/")[0]
        return await HANDLERS.get(route, echo)(request, body, name, ids)

    @web.middleware
    async def unrouted(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await everything(request)  # `OPTIONS *` too, which no route matches

    app = web.Application(client_max_size=0, middlewares=[unrouted])
    app[SEEN] = seen
    app.router.add_route("*", "/{tail:.*}", everything)
    return app


async def echo(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    payload = {
        "served_by": name,
        "method": request.method,
        "path": request.raw_path,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_size": len(body),
    }
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


async def cookies(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    response = web.Response(text="cookies", headers={"X-Custom": "a"})
    response.headers.add("Set-Cookie", "session=abc123; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "theme=dark; Path=/")
    response.headers.add("X-Custom", "b")
    return response


async def chunked(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    chunks = (f"chunk {i}\n".encode() * 100 for i in range(50))
    return await _chunked(request, "text/plain", chunks)


async def big(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    return web.Response(body=BIG, content_type="application/octet-stream")


async def gzipped(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    return web.Response(
        body=GZIPPED, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )


async def items(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    if request.method == "POST":
        new = next(ids) if name == "legacy" else f"{name}-{next(ids)}"
        return web.Response(
            status=201,
            body=orjson.dumps({"id": new}),
            content_type="application/json",
            headers={"Location": f"/items/{new}"},
        )
    item = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
    return web.Response(
        body=orjson.dumps({"id": item, "served_by": name}), content_type="application/json"
    )


async def redirect(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    return web.Response(status=302, headers={"Location": "/echo/elsewhere"})


async def _announced(
    request: web.Request, length: int, *, first: int, pause: float
) -> web.StreamResponse:
    """An answer announcing `length` bytes: the first `first` of them sent, then a pause."""
    response = web.StreamResponse(headers={"Content-Length": str(length)})
    await response.prepare(request)
    await response.write(BIG[:first])
    await asyncio.sleep(pause)
    return response


async def cut(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    """Announces 3 MiB, sends half, then drops the connection."""
    response = await _announced(request, 3 << 20, first=3 << 19, pause=0.05)
    assert request.transport is not None
    request.transport.abort()
    return response


async def slowbig(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    """2 MiB with a Content-Length: the first half at once, the second a second later."""
    response = await _announced(request, 2 << 20, first=1 << 20, pause=1.0)
    await response.write(BIG[1 << 20 : 2 << 20])
    await response.write_eof()
    return response


async def endless(
    request: web.Request, body: bytes, name: str, ids: itertools.count[int]
) -> web.StreamResponse:
    """Chunked, 64 KiB at a time for up to 16 MiB."""
    return await _chunked(
        request, "application/octet-stream", (BIG[: 64 << 10] for _ in range(256))
    )


async def _chunked(
    request: web.Request, content_type: str, chunks: Iterable[bytes]
) -> web.StreamResponse:
    """A chunked answer of `chunks`; stops quietly when its reader leaves."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:
        pass  # the proxy stopped reading: a test's point, not the upstream's error
    return response


HANDLERS = {
    "cookies": cookies,
    "chunked": chunked,
    "big": big,
    "gzip": gzipped,
    "items": items,
    "redirect": redirect,
    "cut": cut,
    "slowbig": slowbig,
    "endless": endless,
}
