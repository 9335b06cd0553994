"""The mirror sink's handler: take a request a traffic layer mirrored, answer at once, fan out.

nginx `mirror`, Envoy `request_mirror_policies` and Istio `mirror` discard the
sink's answer, so it answers 202 before anything else and sends the request to
every target itself (a legacy replica, optionally a second one, the candidate),
the way Diffy does.
"""

from __future__ import annotations

from aiohttp import web

from twinsight.upstream import end_to_end

from .fanout import Fanout
from .intake import Intake

__all__ = ["MirrorSink", "strip_shadow_suffix"]


def strip_shadow_suffix(host: str) -> str:
    """`api-shadow:8080` -> `api:8080` (Envoy and Istio append -shadow to mirrored Hosts)."""
    name, colon, port = host.partition(":")
    return name.removesuffix("-shadow") + colon + port


class MirrorSink:
    """The aiohttp handler of `twinsight sink`."""

    def __init__(self, fanout: Fanout, intake: Intake) -> None:
        self.fanout, self.intake = fanout, intake

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Accept the mirrored request and fan it out in the background."""
        self.intake.counters.add("served")
        body = await request.read()
        if not self.intake.mirrors(request.method):
            self.intake.counters.add("dropped.write_not_mirrored")
            return web.Response(status=202)
        captured = self.intake.capture(
            request,
            body,
            end_to_end(request.headers, drop=("Host",)),
            host=strip_shadow_suffix(request.host),
            scheme=request.headers.get("X-Forwarded-Proto", request.scheme),
        )
        if captured is not None:
            self.fanout.start(captured)
        return web.Response(status=202)
