"""A small multi-user service for replay tests: an admin creates spaces and users, users
read them.

Each instance keeps its own state and hands out its own ids from `first_id`, so a
fresh legacy and candidate start empty and differ in ids (correlation's job). Users
are told by bearer token (or Basic for bob); the tokens each instance accepts are
its own, so a target can have credentials of its own. A user the admin creates logs in
with `tok-NAME`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping

from aiohttp import web

__all__ = [
    "ADMIN",
    "BOB",
    "BOB_BASIC",
    "CANDIDATE_ADMIN",
    "CAROL",
    "WRONG_BASIC",
    "basic",
    "make_service",
]

ADMIN = "adm-9f3c1e77ab20"
BOB = "bob-41d2c0aa55e1"
CANDIDATE_ADMIN = "cand-adm-77e0c3b9"
CAROL = "tok-carol"  # works once the admin has created carol


def basic(user: str, password: str) -> str:
    """The Basic credentials of `user`."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


BOB_BASIC = basic("bob", "bobs-password-1")
WRONG_BASIC = basic("bob", "not-bobs-password")


def make_service(first_id: int, tokens: Mapping[str, str]) -> web.Application:
    """The service; `tokens`: bearer token -> user (`admin` may create)."""
    spaces: dict[int, dict[str, object]] = {}
    tokens = dict(tokens)
    next_id = [first_id]

    def user_of(request: web.Request) -> str | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Bearer":
            return tokens.get(value)
        if scheme == "Basic":
            return "bob" if value == BOB_BASIC else None
        return None

    def who(request: web.Request) -> str:
        user = user_of(request)
        if user is None:
            raise web.HTTPUnauthorized(text='{"error": "unauthorized"}')
        return user

    async def slow(request: web.Request) -> web.Response:
        who(request)
        await asyncio.sleep(0.4)  # holds its session back: a misorder shows
        return web.json_response({"ok": True})

    async def create(request: web.Request) -> web.Response:
        if who(request) != "admin":
            raise web.HTTPForbidden(text='{"error": "admins only"}')
        body = await request.json()
        space = {"id": next_id[0], "name": body["name"]}
        spaces[next_id[0]] = space
        next_id[0] += 1
        return web.json_response(space, status=201, headers={"Location": f"/spaces/{space['id']}"})

    async def add_user(request: web.Request) -> web.Response:
        if who(request) != "admin":
            raise web.HTTPForbidden(text='{"error": "admins only"}')
        name = (await request.json())["name"]
        tokens[f"tok-{name}"] = name
        return web.json_response({"name": name}, status=201)

    async def read(request: web.Request) -> web.Response:
        who(request)
        space = spaces.get(int(request.match_info["id"]))
        if space is None:
            raise web.HTTPNotFound(text='{"error": "no such space"}')
        return web.json_response(space)

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"user": who(request)})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_post("/spaces", create)
    app.router.add_get("/spaces/{id}", read)
    app.router.add_post("/users", add_user)
    app.router.add_get("/me", me)
    return app
