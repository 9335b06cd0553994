"""A small JSON service for benchmarks: GET /items/{id}, POST /items. Run as its own process.

python bench/upstream.py --port 9001 [--delay 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools

import orjson
from aiohttp import web


def make_app(delay: float) -> web.Application:
    ids = itertools.count(1)

    async def get_item(request: web.Request) -> web.Response:
        if delay:
            await asyncio.sleep(delay)
        item = {"id": request.match_info["id"], "title": "Buy groceries", "status": "pending"}
        return web.Response(body=orjson.dumps(item), content_type="application/json")

    async def create_item(request: web.Request) -> web.Response:
        body = await request.read()
        if delay:
            await asyncio.sleep(delay)
        item = {"id": next(ids), "size": len(body), "status": "pending"}
        return web.Response(status=201, body=orjson.dumps(item), content_type="application/json")

    app = web.Application()
    app.router.add_get("/items/{id}", get_item)
    app.router.add_post("/items", create_item)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    web.run_app(make_app(args.delay), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
