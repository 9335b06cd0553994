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
from multidict import CIMultiDict
from yarl import URL

from twinsight.config import Config, load_config
from twinsight.errors import TwinsightError, UserError
from twinsight.proxy.fanout import Fanout
from twinsight.proxy.intake import Intake, Received, connection_of, refusal
from twinsight.proxy.metrics import CaptureMetrics
from twinsight.proxy.service import open_fanout
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET, Body, ErrorKind, Headers, Response
from twinsight.store import CaptureCounters, StoreWriter
from twinsight.traffic import Target, server_url

__all__ = ["TwinsightAddon", "addon_config", "addons"]

log = logging.getLogger(__name__)
_FLIGHT = "twinsight_flight"
_STARTED = "twinsight_started"
_SENT = "twinsight_sent_at"

# name, type, default, help; the capture ones map onto [capture] (`_CAPTURE`).
_OPTIONS: tuple[tuple[str, type, object, str], ...] = (
    ("twinsight_config", str, "", "twinsight.toml to read (default: ./twinsight.toml if present)."),
    ("twinsight_candidate", str, "", "Candidate base URL."),
    ("twinsight_replica", str, "", "A second legacy (noise), base URL."),
    ("twinsight_store", str, "", "DuckDB store file."),
    ("twinsight_segments", str, "", "Folder of Parquet segments."),
    ("twinsight_mirror_writes", bool, False, "Also mirror writes."),
    ("twinsight_mirror_timeout", float, 5.0, "Per-target timeout (s)."),
    ("twinsight_max_body", int, 1 << 20, "Body bytes stored per message."),
)
_CAPTURE = {
    "twinsight_mirror_writes": "mirror_writes",
    "twinsight_mirror_timeout": "mirror_timeout_s",
    "twinsight_max_body": "max_body",
}


def addon_config(options: Any) -> Config:
    """The settings of the config file (`twinsight_config`, else ./twinsight.toml if present)
    with the options that were set over them: an option left at its default changes nothing."""
    settings = load_config(options.twinsight_config or None)
    defaults = {name: default for name, _, default, _ in _OPTIONS}
    targets = {name: str(url) for name, url in settings.targets.items()}
    for name in (REPLICA_TARGET, "candidate"):
        if getattr(options, f"twinsight_{name}"):
            targets[name] = getattr(options, f"twinsight_{name}")
    capture = {
        field: getattr(options, option)
        for option, field in _CAPTURE.items()
        if getattr(options, option) != defaults[option]
    }
    settings = settings.with_overrides(targets=targets, capture=capture)
    if options.twinsight_store or options.twinsight_segments:  # they replace the file's store
        store = {
            "path": Path(options.twinsight_store) if options.twinsight_store else None,
            "segments": Path(options.twinsight_segments) if options.twinsight_segments else None,
        }
        settings = settings.model_copy(update={"store": settings.store.model_copy(update=store)})
    return settings


def _headers(fields: Any) -> Headers:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in fields)


def _server(flow: http.HTTPFlow) -> str | None:
    """The base URL of the server mitmproxy sent the flow to: the legacy, in every mode."""
    return server_url(flow.request.scheme, flow.request.host, flow.request.port)


class TwinsightAddon:
    """Records flows and mirrors them; configured with `--set twinsight_*=...`."""

    def __init__(self) -> None:
        self.counters = CaptureCounters()
        self.config = Config()
        self.writer: StoreWriter | None = None
        self.fanout: Fanout | None = None
        self.intake = Intake(self.counters)
        self.targets: list[Target] = []

    def load(self, loader: Any) -> None:
        """Declare the options."""
        for name, kind, default, text in _OPTIONS:
            loader.add_option(name, kind, default, text)

    async def running(self) -> None:
        """Read the settings, open the store and the mirror targets once the proxy runs."""
        try:
            await self._start()
        except TwinsightError as error:
            # One line, not a traceback (which reads as a bug in twinsight): mitmdump
            # exits when an error is logged during start-up.
            log.error("twinsight: %s", error)

    async def _start(self) -> None:
        self.config = config = addon_config(ctx.options)
        capture = config.capture
        self.intake = Intake.of(capture, self.counters)
        # Whatever mitmproxy sends a flow to is the legacy: only the other targets are called.
        self.targets = [
            Target(name, URL(str(url)), capture.mirror_timeout_s)
            for name, url in config.targets.items()
            if name != PRIMARY_TARGET
        ]
        if not self.targets:
            raise UserError("nothing to compare with: --set twinsight_candidate=URL")
        for target in self.targets:
            await target.open()
        self.writer, self.fanout = open_fanout(
            "proxy", config, self.targets, self.counters, CaptureMetrics(self.counters)
        )

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Note when the request started, for the legacy's latency."""
        flow.metadata[_STARTED] = time.perf_counter()
        flow.metadata[_SENT] = datetime.now(UTC)  # the wall-clock start of that latency

    def request(self, flow: http.HTTPFlow) -> None:
        """The whole request is in: start its mirrors now, concurrently with the legacy."""
        if self.fanout is None or flow.response is not None:
            return
        self.counters.add("served")
        if refusal(flow.request.method, flow.request.path) is not None:
            self.counters.add("refused.request_form")  # CONNECT or a target not under /
            return
        received = self._received(flow)
        captured = self.intake.capture(received, self.intake.proxied(received))
        mirrored = self.intake.mirrors(received.method)
        flow.metadata[_FLIGHT] = self.fanout.take(captured, mirrored=mirrored)

    def response(self, flow: http.HTTPFlow) -> None:
        """The legacy answered: hand the answer to the flight (never waits for mirrors)."""
        assert flow.response is not None
        body = flow.response.raw_content or b""
        legacy = Response(
            PRIMARY_TARGET,
            flow.response.status_code,
            _headers(flow.response.headers.fields),
            Body.of(body, self.config.capture.max_body),
            self._latency(flow),
            base_url=_server(flow),
            sent_at=flow.metadata.get(_SENT),
        )
        self._settle(flow, legacy)

    def error(self, flow: http.HTTPFlow) -> None:
        """The legacy gave no answer."""
        message = str(flow.error.msg if flow.error else "").lower()
        kind: ErrorKind = (
            "timeout" if "timeout" in message else "refused" if "connect" in message else "reset"
        )
        failed = Response(
            PRIMARY_TARGET,
            latency_ms=self._latency(flow),
            error=kind,
            base_url=_server(flow),
            sent_at=flow.metadata.get(_SENT),
        )
        self._settle(flow, failed)

    async def done(self) -> None:
        """Shutdown: wait for mirrors a little, store everything, close."""
        if self.fanout is not None:
            await self.fanout.drain(self.config.capture.shutdown_grace_s)
        for target in self.targets:
            await target.close()
        if self.writer is not None:
            self.writer.close()
        log.info("twinsight: %s", self.counters.snapshot())

    def _settle(self, flow: http.HTTPFlow, legacy: Response) -> None:
        taken = flow.metadata.pop(_FLIGHT, None)
        if self.fanout is not None:
            self.fanout.answered(taken, legacy)

    @staticmethod
    def _received(flow: http.HTTPFlow) -> Received:
        request = flow.request
        return Received(
            method=request.method,
            target=request.path,
            headers=CIMultiDict(_headers(request.headers.fields)),
            client=flow.client_conn.peername[0] if flow.client_conn.peername else None,
            scheme=request.scheme,
            host=request.host_header or request.host,
            body=request.raw_content or b"",
            connection=connection_of(flow.client_conn.peername),
        )

    @staticmethod
    def _latency(flow: http.HTTPFlow) -> float | None:
        started = flow.metadata.get(_STARTED)
        return (time.perf_counter() - started) * 1000 if started is not None else None


addons = [TwinsightAddon()]
