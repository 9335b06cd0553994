"""HS256 JWT bearer auth shared by both example services, so one token works for both.

The secret comes from `TWINSIGHT_EXAMPLE_SECRET`, defaulting to a documented value:
these services are a test bed and must never guard anything real.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

import jwt
from aiohttp import web

__all__ = ["DEFAULT_SECRET", "SECRET_ENV", "auth_middleware", "make_token", "secret"]

SECRET_ENV = "TWINSIGHT_EXAMPLE_SECRET"
DEFAULT_SECRET = "twinsight-example-secret-not-for-production"
USER_KEY = web.RequestKey("user", str)
PUBLIC_PATHS = frozenset({"/health"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def secret() -> str:
    """The signing secret in force."""
    return os.environ.get(SECRET_ENV, DEFAULT_SECRET)


def make_token(user: str = "alice", ttl_seconds: int = 30 * 24 * 3600) -> str:
    """A signed token for `user`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {"sub": user, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret(), algorithm="HS256")


def user_of(request: web.Request) -> str:
    """The authenticated user (the token's subject) of a request past the middleware."""
    return request[USER_KEY]


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require a valid bearer token everywhere but the health check."""
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token:
            raise jwt.InvalidTokenError("no bearer token")
        claims = jwt.decode(token, secret(), algorithms=["HS256"], options={"require": ["sub"]})
    except jwt.InvalidTokenError:
        return web.json_response({"error": "Authentication required"}, status=401)
    request[USER_KEY] = str(claims["sub"])
    return await handler(request)
