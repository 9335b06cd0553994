"""The baseline: a bare aiohttp reverse proxy, forward-only or forward + mirror, no capture.

What twinsight's own machinery costs is measured against this.

    python bench/bare_proxy.py --port 9000 --upstream http://127.0.0.1:9001 [--mirror URL]
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import aiohttp
from aiohttp import web

HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host"}


def make_app(upstream: str, mirror: str | None) -> web.Application:
    sessions: dict[str, aiohttp.ClientSession] = {}
    pending: set[asyncio.Task[Any]] = set()

    async def start(app: web.Application) -> None:
        sessions["up"] = aiohttp.ClientSession(auto_decompress=False)
        sessions["mirror"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def stop(app: web.Application) -> None:
        for session in sessions.values():
            await session.close()

    async def shadow(method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            async with sessions["mirror"].request(method, url, headers=headers, data=body) as r:
                await r.read()
        except (aiohttp.ClientError, TimeoutError):
            pass

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        if mirror:
            task = asyncio.ensure_future(
                shadow(request.method, mirror + request.raw_path, headers, body)
            )
            pending.add(task)
            task.add_done_callback(pending.discard)
        async with sessions["up"].request(
            request.method,
            upstream + request.raw_path,
            headers=headers,
            data=body,
            allow_redirects=False,
        ) as answer:
            data = await answer.read()
            out = {
                k: v for k, v in answer.headers.items() if k.lower() not in HOP | {"content-length"}
            }
            return web.Response(status=answer.status, body=data, headers=out)

    app = web.Application()
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--mirror")
    args = parser.parse_args()
    web.run_app(
        make_app(args.upstream, args.mirror),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        loop=new_loop(),
    )


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed, as `twinsight proxy` uses it: the same loop both sides."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


if __name__ == "__main__":
    main()
