"""What the proxy and the sink do with each request they receive: count, sample, capture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from multidict import CIMultiDict

from twinsight.store import CaptureCounters, new_id
from twinsight.upstream import is_sampled, session_key, to_tuple

from .fanout import Request

__all__ = ["SAFE_METHODS", "Intake"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Intake:
    """Sampling and mirroring policy, shared by the proxy and the sink."""

    counters: CaptureCounters
    sample: float = 1.0
    session_by: str = "header:authorization"
    mirror_writes: bool = False

    def mirrors(self, method: str) -> bool:
        """Whether requests with `method` are mirrored (writes only with --mirror-writes)."""
        return method in SAFE_METHODS or self.mirror_writes

    def capture(
        self,
        request: web.Request,
        body: bytes,
        forward: CIMultiDict[str],
        *,
        host: str,
        scheme: str,
    ) -> Request | None:
        """The request as captured (counted as sampled), or None when its session is not."""
        key = session_key(self.session_by, request.headers, request.remote)
        if not is_sampled(key, self.sample):
            return None
        self.counters.add("sampled")
        path, _, query = request.raw_path.partition("?")
        return Request(
            id=new_id(),
            ts=datetime.now(UTC),
            method=request.method,
            path=path,
            query=query,
            scheme=scheme,
            host=host,
            headers=to_tuple(request.headers),
            body=body,
            session=key,  # the store keeps only its keyed hash
            forward_headers=forward,
        )
