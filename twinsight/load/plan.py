"""What a load run sends: the request mix and the load shape, as the locustfile reads them."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

__all__ = ["LoadRequest", "LoadShape", "identities", "identity_of", "write_plan"]

# Set by the HTTP client for each request it sends; a recorded value would be wrong.
_HOP = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade"}
)


@dataclass(frozen=True)
class LoadRequest:
    """One request of the mix, with the endpoint its measures are filed under."""

    method: str
    target: str  # path and query: "/tasks/17?full=1"
    endpoint: str  # "GET /tasks/{id}"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    identity: int = 0  # whose request: the locust users sending it hold this identity


# Who sends a request: its credentials. A redacted token stands for one user's secret.
_MARKER = re.compile(r"<redacted:[^<>\s]*>")
_IDENTITY_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key"})


def identity_of(headers: Iterable[tuple[str, str]], known: frozenset[str]) -> tuple[str, ...]:
    """The credentials a request is sent with: its redacted tokens in `known` (the others
    are left out when sent) and its plain credential headers' values."""
    found: set[str] = set()
    for name, value in headers:
        markers = _MARKER.findall(value)
        if markers:
            found.update(m for m in markers if m in known)
        elif name.lower() in _IDENTITY_HEADERS:
            found.add(f"{name.lower()}: {value}")
    return tuple(sorted(found))


def identities(keys: Sequence[tuple[str, ...]]) -> list[int]:
    """Each request's identity as a number, in order of first appearance."""
    numbers: dict[tuple[str, ...], int] = {}
    return [numbers.setdefault(key, len(numbers)) for key in keys]


@dataclass(frozen=True)
class LoadShape:
    """The load each target gets: the same for every target of a run."""

    users: int = 10
    rate: float | None = None  # requests per second over all users; None: as fast as they go
    duration_s: float = 10.0

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.duration_s < 1 or self.duration_s != int(self.duration_s):
            # locust's --run-time refuses "2.5s": the run would fail after it started
            raise ValueError("duration must be a whole number of seconds, at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")


def write_plan(path: Path, requests: Sequence[LoadRequest], shape: LoadShape, out: Path) -> None:
    """The plan file the locustfile reads: requests in the order they are cycled through
    (each user through those of its identity), the per-user pace, and where to write what
    was measured. Readable by its owner only: the requests may carry credentials."""
    document = {
        "requests": [
            {
                "method": r.method,
                "target": r.target,
                "name": r.endpoint,
                "headers": [[k, v] for k, v in r.headers if k.lower() not in _HOP],
                "body": base64.b64encode(r.body).decode(),
                "identity": r.identity,
            }
            for r in requests
        ],
        "identities": len({r.identity for r in requests}),
        "per_user_rate": None if shape.rate is None else shape.rate / shape.users,
        "out": str(out),
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(orjson.dumps(document))
