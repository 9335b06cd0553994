"""twinsight as a mitmproxy addon, for the modes the aiohttp proxy does not cover.

    mitmdump --mode reverse:http://legacy:8081 -s "$(twinsight mitm-addon)" \\
        --set twinsight_candidate=http://candidate:8082 --set twinsight_store=run.duckdb

Forward, reverse, transparent and TLS-intercepting modes all work: whatever
mitmproxy sends the flow to is the legacy. Each flow is recorded as an exchange
and mirrored to the candidate (and replica) without holding the flow: mirrors
start when the request is complete and are collected in the background. The
only module that touches mitmproxy types; works with mitmproxy 11 and 12.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mitmproxy import ctx, http
from yarl import URL

from twinsight.proxy.fanout import Fanout, Flight, MirrorOptions, Request
from twinsight.proxy.intake import SAFE_METHODS, refusal
from twinsight.proxy.metrics import CaptureMetrics
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET, Body, ErrorKind, Headers, Response
from twinsight.store import CaptureCounters, Redactor, StoreWriter, new_id, open_writer
from twinsight.traffic import Target, proxied

__all__ = ["TwinsightAddon", "addons"]

log = logging.getLogger(__name__)
_FLIGHT = "twinsight_flight"
_STARTED = "twinsight_started"


def _headers(fields: Any) -> Headers:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in fields)


class TwinsightAddon:
    """Records flows and mirrors them; configured with `--set twinsight_*=...`."""

    def __init__(self) -> None:
        self.counters = CaptureCounters()
        self.writer: StoreWriter | None = None
        self.fanout: Fanout | None = None
        self.targets: list[Target] = []

    def load(self, loader: Any) -> None:
        """Declare the options."""
        loader.add_option("twinsight_candidate", str, "", "Candidate base URL.")
        loader.add_option("twinsight_replica", str, "", "A second legacy (noise), base URL.")
        loader.add_option("twinsight_store", str, "", "DuckDB store file.")
        loader.add_option("twinsight_segments", str, "", "Folder of Parquet segments.")
        loader.add_option("twinsight_mirror_writes", bool, False, "Also mirror writes.")
        loader.add_option("twinsight_mirror_timeout", float, 5.0, "Per-target timeout (s).")
        loader.add_option("twinsight_max_body", int, 1 << 20, "Body bytes stored per message.")

    async def running(self) -> None:
        """Open the store and the mirror targets once the proxy runs."""
        options = ctx.options
        store = Path(options.twinsight_store) if options.twinsight_store else None
        segments = Path(options.twinsight_segments) if options.twinsight_segments else None
        if store is None and segments is None:
            store = Path("twinsight.duckdb")
        self.writer = open_writer(
            store,
            segments,
            redactor=Redactor(),
            counters=self.counters,
            max_body=options.twinsight_max_body,
        )
        for name in (REPLICA_TARGET, "candidate"):
            url = getattr(options, f"twinsight_{name}")
            if url:
                target = Target(name, URL(url), options.twinsight_mirror_timeout)
                await target.open()
                self.targets.append(target)
        self.fanout = Fanout(
            self.targets,
            self.writer,
            source="proxy",
            options=MirrorOptions(max_body=options.twinsight_max_body),
            counters=self.counters,
            metrics=CaptureMetrics(self.counters),
        )

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Note when the request started, for the legacy's latency."""
        flow.metadata[_STARTED] = time.perf_counter()

    def request(self, flow: http.HTTPFlow) -> None:
        """The whole request is in: start its mirrors now, concurrently with the legacy."""
        self.counters.add("served")
        self.counters.add("sampled")
        if self.fanout is None or flow.response is not None:
            return
        if refusal(flow.request.method, flow.request.path) is not None:
            self.counters.add("refused.request_form")  # CONNECT or a target not under /
            return
        captured = self._captured(flow)
        if flow.request.method in SAFE_METHODS or ctx.options.twinsight_mirror_writes:
            flow.metadata[_FLIGHT] = self.fanout.start(captured)
        else:
            flow.metadata[_FLIGHT] = captured

    def response(self, flow: http.HTTPFlow) -> None:
        """The legacy answered: hand the answer to the flight (never waits for mirrors)."""
        assert flow.response is not None
        body = flow.response.raw_content or b""
        legacy = Response(
            PRIMARY_TARGET,
            flow.response.status_code,
            _headers(flow.response.headers.fields),
            Body.of(body, ctx.options.twinsight_max_body),
            self._latency(flow),
        )
        self._settle(flow, legacy)

    def error(self, flow: http.HTTPFlow) -> None:
        """The legacy gave no answer."""
        message = str(flow.error.msg if flow.error else "").lower()
        kind: ErrorKind = (
            "timeout" if "timeout" in message else "refused" if "connect" in message else "reset"
        )
        self._settle(flow, Response(PRIMARY_TARGET, latency_ms=self._latency(flow), error=kind))

    async def done(self) -> None:
        """Shutdown: wait for mirrors a little, store everything, close."""
        if self.fanout is not None:
            await self.fanout.drain(5.0)
        for target in self.targets:
            await target.close()
        if self.writer is not None:
            self.writer.close()
        log.info("twinsight: %s", self.counters.snapshot())

    def _settle(self, flow: http.HTTPFlow, legacy: Response) -> None:
        pending = flow.metadata.pop(_FLIGHT, None)
        if self.fanout is None or pending is None:
            return
        if isinstance(pending, Flight):
            self.fanout.legacy_answered(pending, legacy)
        else:
            self.fanout.record(pending, legacy)

    def _captured(self, flow: http.HTTPFlow) -> Request:
        request = flow.request
        path, _, query = request.path.partition("?")
        client = flow.client_conn.peername[0] if flow.client_conn.peername else None
        forward = proxied(
            _headers(request.headers.fields),
            client=client,
            scheme=request.scheme,
            host=request.host_header or request.host,
            trusted=False,
        )
        return Request(
            id=new_id(),
            ts=datetime.now(UTC),
            method=request.method,
            path=path,
            query=query,
            scheme=request.scheme,
            host=request.host_header or request.host,
            headers=_headers(request.headers.fields),
            body=request.raw_content or b"",
            session=None,
            forward_headers=forward,
        )

    @staticmethod
    def _latency(flow: http.HTTPFlow) -> float | None:
        started = flow.metadata.get(_STARTED)
        return (time.perf_counter() - started) * 1000 if started is not None else None


addons = [TwinsightAddon()]
