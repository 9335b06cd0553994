"""Small builders for exchanges in tests."""

from __future__ import annotations

from twinsight.store import Body, Exchange, Response, new_id

SECRET = "s3cr3t-token-value"


def exchange(
    path: str = "/tasks/1",
    *,
    method: str = "GET",
    legacy: bytes = b'{"id": 1}',
    candidate: bytes = b'{"id": "a"}',
    source: str = "proxy",
) -> Exchange:
    """A GET with a bearer token, answered by legacy and candidate."""
    json = (("Content-Type", "application/json"),)
    return Exchange(
        id=new_id(),
        source=source,  # type: ignore[arg-type]
        method=method,
        path=path,
        host="example.test",
        headers=(("Authorization", f"Bearer {SECRET}"), ("Accept", "application/json")),
        responses=(
            Response(
                "legacy",
                200,
                (*json, ("Set-Cookie", f"sid={SECRET}; Path=/")),
                Body.of(legacy, 1 << 20),
                1.5,
            ),
            Response("candidate", 200, json, Body.of(candidate, 1 << 20), 2.5),
        ),
    )
