"""`twinsight proxy`, `twinsight sink` (one set of options, declared once) and `mitm-addon`."""

# No `from __future__ import annotations`: the options of `_capture_command` take their
# help and defaults from its arguments, so typer must see evaluated annotations.

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from twinsight.cli.console import err
from twinsight.cli.options import (
    CandidateOption,
    ConfigOption,
    ReplicaOption,
    SegmentsOption,
    StoreOption,
    TargetOption,
    quiet,
    write_settings,
)
from twinsight.config import Config
from twinsight.report.terminal import capture_line

__all__ = ["mitm_addon", "proxy", "sink"]

Mode = Literal["proxy", "sink"]

AdminOption = Annotated[
    str | None,
    quiet("--admin", "HOST:PORT for /health and /metrics."),
]
SampleOption = Annotated[
    float | None, typer.Option("--sample", min=0, max=1, help="Share of sessions mirrored.")
]
MaxBodyOption = Annotated[
    int | None, typer.Option("--max-body", min=0, help="Body bytes stored per message.")
]
MirrorTimeoutOption = Annotated[
    float | None, typer.Option("--mirror-timeout", min=0.001, help="Per-target timeout (s).")
]
MirrorQueueOption = Annotated[
    int | None, typer.Option("--mirror-queue", min=1, help="Mirrors in flight before drops.")
]
WritesOption = Annotated[
    bool | None,
    quiet(
        "--mirror-writes/--no-mirror-writes", "Also mirror POST, PUT, PATCH, DELETE (see README)."
    ),
]
SuffixOption = Annotated[
    bool | None,
    quiet("--shadow-host-suffix/--no-shadow-host-suffix", "Append -shadow to mirrored Hosts."),
]
CorrelateOption = Annotated[
    bool | None,
    quiet("--correlate/--no-correlate", "Rewrite legacy ids into each target's own."),
]
WorkersOption = Annotated[
    int,
    typer.Option("--workers", min=1, help="Processes sharing the port (SO_REUSEPORT); see README."),
]
TrustOption = Annotated[
    list[str] | None,
    quiet(
        "--trust-forwarded",
        "A peer whose X-Forwarded-* are believed (repeatable); see README.",
        metavar="CIDR_OR_IP",
    ),
]


def _capture_command(
    mode: Mode, legacy_help: str, listen_default: str, doc: str
) -> Callable[..., None]:
    """The command running a capture in `mode`; proxy and sink share every option."""

    def command(
        legacy: Annotated[str | None, typer.Option("--legacy", help=legacy_help)] = None,
        candidate: CandidateOption = None,
        replica: ReplicaOption = None,
        target: TargetOption = None,
        listen: Annotated[
            str, typer.Option("--listen", help="HOST:PORT to listen on.")
        ] = listen_default,
        admin: AdminOption = None,
        store: StoreOption = None,
        segments: SegmentsOption = None,
        sample: SampleOption = None,
        max_body: MaxBodyOption = None,
        mirror_timeout: MirrorTimeoutOption = None,
        mirror_queue: MirrorQueueOption = None,
        mirror_writes: WritesOption = None,
        shadow_host_suffix: SuffixOption = None,
        correlate: CorrelateOption = None,
        trust_forwarded: TrustOption = None,
        workers: WorkersOption = 1,
        config: ConfigOption = None,
    ) -> None:
        flags = {
            "sample": sample,
            "max_body": max_body,
            "mirror_timeout_s": mirror_timeout,
            "mirror_queue": mirror_queue,
            "mirror_writes": mirror_writes,
            "shadow_host_suffix": shadow_host_suffix,
            "correlate": correlate,
            "trust_forwarded": trust_forwarded or None,
        }
        named = {"legacy": legacy, "replica": replica, "candidate": candidate}
        settings = write_settings(config, named, target, store, segments, flags)
        _run_capture(mode, settings, listen, admin, workers)

    command.__doc__ = doc
    return command


def _run_capture(
    mode: Mode, settings: Config, listen: str, admin: str | None, workers: int
) -> None:
    from twinsight.proxy.service import parse_address, serve
    from twinsight.proxy.workers import serve_workers

    address = parse_address(listen, "--listen")
    admin_address = parse_address(admin, "--admin") if admin else None

    def say(line: str) -> None:
        err.print(escape(line))

    if workers > 1:
        summary = serve_workers(mode, settings, address, admin_address, workers, say)
    else:
        summary = serve(mode, settings, address, admin_address, say)
    err.print(escape(capture_line(summary)))


def _without(command: Callable[..., None], *names: str) -> Callable[..., None]:
    """`command` without the options `names` (they keep their default of None)."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name not in names]
    command.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    return command


proxy = _capture_command(
    "proxy",
    "The legacy service's URL.",
    "127.0.0.1:8080",
    "Serve clients from the legacy and mirror their requests to the candidate, recording both."
    "\n\nExample: twinsight proxy --legacy http://127.0.0.1:8081 --candidate http://127.0.0.1:8082",
)
# Only the proxy takes --shadow-host-suffix: a sink has always been without it.
sink = _without(
    _capture_command(
        "sink",
        "A legacy replica's URL.",
        "127.0.0.1:8090",
        "Take requests mirrored by nginx, Envoy or Istio and fan them out to every target."
        "\n\nExample: twinsight sink --legacy http://10.0.0.5:8081 --candidate http://10.0.0.6:8082",
    ),
    "shadow_host_suffix",
)


def mitm_addon() -> None:
    """Print the path of the mitmproxy addon, for `mitmdump -s`.

    Example: mitmdump --mode reverse:http://127.0.0.1:8081 -s "$(twinsight mitm-addon)" --set twinsight_candidate=http://127.0.0.1:8082
    """
    import twinsight.proxy

    sys.stdout.write(f"{Path(twinsight.proxy.__file__).parent / 'mitm.py'}\n")
