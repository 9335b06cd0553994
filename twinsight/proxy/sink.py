"""The mirror sink's handler: take a request a traffic layer mirrored, answer at once, fan out.

nginx `mirror`, Envoy `request_mirror_policies` and Istio `mirror` discard the
sink's answer, so it answers 202 before anything else and sends the request to
every target itself (a legacy replica, optionally a second one, the candidate),
the way Diffy does.

Forwarding headers: the sink's peer is the traffic layer, and the mirrored
request carries the X-Forwarded-* that layer set, i.e. what the legacy itself
received. The sink passes them on unchanged, so every target sees what the
legacy saw (it adds no hop of its own). With `trust_forwarded` set, only the
peers it names are believed; anyone else's are replaced by what the sink saw,
as in the proxy.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from multidict import CIMultiDict

from twinsight.traffic import relayed

from .fanout import Fanout
from .intake import Intake, Received

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
        body = await self.intake.read_body(request)
        if isinstance(body, web.Response):
            return body  # refused: stalled, or the client is gone
        self.intake.counters.add("served")
        if not self.intake.mirrors(request.method):
            self.intake.counters.add("dropped.write_not_mirrored")
            return web.Response(status=202)
        headers, believed = self._headers(request)
        received = replace(
            Received.of(request, body),
            host=strip_shadow_suffix(request.host),
            scheme=headers.get("X-Forwarded-Proto", request.scheme) if believed else request.scheme,
        )
        captured = self.intake.capture(received, headers)
        if captured is not None:
            self.fanout.start(captured)
        return web.Response(status=202)

    def _headers(self, request: web.Request) -> tuple[CIMultiDict[str], bool]:
        """The headers to send on, and whether the peer's forwarding headers were kept."""
        believed = not self.intake.trust_forwarded or self.intake.trusts(request.remote)
        headers = relayed(
            request.headers,
            client=request.remote,
            scheme=request.scheme,
            host=request.host,
            believed=believed,
        )
        return headers, believed
