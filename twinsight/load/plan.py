"""What a load run sends: the request mix and the load shape, as the locustfile reads them."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

__all__ = ["LoadRequest", "LoadShape", "write_plan"]

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
    """The plan file the locustfile reads: requests in the order they are cycled through,
    the per-user pace, and where to write what was measured."""
    document = {
        "requests": [
            {
                "method": r.method,
                "target": r.target,
                "name": r.endpoint,
                "headers": [[k, v] for k, v in r.headers if k.lower() not in _HOP],
                "body": base64.b64encode(r.body).decode(),
            }
            for r in requests
        ],
        "per_user_rate": None if shape.rate is None else shape.rate / shape.users,
        "out": str(out),
    }
    path.write_bytes(orjson.dumps(document))
