"""The noisy variant of the example (`--noisy`): values real services stamp on every answer.

Both services wrap their answers in the same middleware, so two answers that agree
in meaning still differ the way real ones do: every JSON object answer carries a
fresh `request_id` (UUID4); every task in it carries `updated_at` (the server's own
now, in milliseconds), a salted bcrypt-shaped `token_hash` and its `tags` as a set
served in random order; answers carrying tasks send an `ETag` (a digest of the body,
times included) and `Last-Modified`. `Quirks` are where a side departs from that on
purpose: the candidate's planted divergences (DIVERGENCES.md, the noisy variant).
Tags are given when a task is created (`{"title": ..., "tags": [...]}`) and live in
memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["BCRYPT_ALPHABET", "Quirks", "millis", "noise_middleware", "route_key", "token_hash"]

BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_RANDOM = secrets.SystemRandom()
_PARAMETER = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Quirks:
    """Where one side's noise departs from the shared one; routes named as `route_key` does."""

    epoch_updated_at: frozenset[str] = field(default_factory=frozenset)
    """Routes whose tasks carry `updated_at` as epoch milliseconds instead of ISO 8601."""
    no_last_modified: frozenset[str] = field(default_factory=frozenset)
    """Routes answered without `Last-Modified`."""
    lowercase_tags: bool = False
    """Tags are stored lowercased."""


def millis(now: datetime) -> str:
    """`now` as ISO 8601 UTC with milliseconds, e.g. `2026-11-30T10:34:03.123Z`."""
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def token_hash() -> str:
    """A bcrypt-shaped salted hash: `$2b$12$` and 53 characters of bcrypt's alphabet."""
    return "$2b$12$" + "".join(_RANDOM.choice(BCRYPT_ALPHABET) for _ in range(53))


def route_key(request: web.Request) -> str:
    """The request's method and route, its path parameters spelled `{id}` on either side."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return f"{request.method} {_PARAMETER.sub('{id}', canonical)}"


def noise_middleware(quirks: Quirks | None = None) -> Middleware:
    """The middleware that makes one service's answers noisy; outermost, so errors get it too."""
    chosen = quirks or Quirks()
    tags: dict[str, list[str]] = {}

    @web.middleware
    async def noise(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        data = _json_object(response)
        if data is None:
            return response
        if request.method == "POST" and response.status == 201 and "id" in data:
            tags[str(data["id"])] = await _requested_tags(request, chosen.lowercase_tags)
        assert isinstance(response, web.Response)
        _stamp(response, data, route_key(request), chosen, tags)
        return response

    return noise


def _json_object(response: web.StreamResponse) -> dict[str, Any] | None:
    if not isinstance(response, web.Response) or response.content_type != "application/json":
        return None
    if not isinstance(response.body, bytes):
        return None
    data = json.loads(response.body)
    return data if isinstance(data, dict) else None


async def _requested_tags(request: web.Request, lowercase: bool) -> list[str]:
    # The handler has read the body already; aiohttp keeps it, so this reads it again.
    try:
        body = await request.json()
    except ValueError:
        return []
    given = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(given, list):
        return []
    texts = {t.lower() if lowercase else t for t in given if isinstance(t, str)}
    return sorted(texts)


def _tasks_in(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "id" in data and "title" in data:
        return [data]
    listed = data.get("tasks")
    return [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []


def _stamp(
    response: web.Response,
    data: dict[str, Any],
    route: str,
    quirks: Quirks,
    tags: dict[str, list[str]],
) -> None:
    now = datetime.now(UTC)
    tasks = _tasks_in(data)
    for task in tasks:
        epoch = route in quirks.epoch_updated_at
        task["updated_at"] = int(now.timestamp() * 1000) if epoch else millis(now)
        task["token_hash"] = token_hash()
        stored = tags.get(str(task.get("id")), [])
        task["tags"] = _RANDOM.sample(stored, len(stored))
    data["request_id"] = str(uuid.uuid4())
    body = json.dumps(data).encode("utf-8")
    response.body = body
    if tasks and response.status < 300:
        response.headers["ETag"] = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        if route not in quirks.no_last_modified:
            response.headers["Last-Modified"] = format_datetime(now, usegmt=True)
