"""`twinsight replay`: the flags become a plan (`twinsight.replay.plan`), the library runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twinsight.cli.console import err, out, reading, show_text
from twinsight.cli.options import (
    CandidateOption,
    ConfigOption,
    FormatOption,
    LegacyOption,
    ReplicaOption,
    SegmentsOption,
    StoreOption,
    TargetOption,
    TimeoutOption,
    quiet,
    write_settings,
)
from twinsight.records import PRIMARY_TARGET
from twinsight.report.terminal import replay_lines, skipped_lines

__all__ = ["replay_command"]

FromOption = Annotated[
    list[Path] | None,
    quiet("--from", "Replay these files or stores instead of --store."),
]
FilterOption = Annotated[
    str | None, typer.Option("--filter", help="CEL over `request`: which to replay.")
]
RateOption = Annotated[float | None, typer.Option("--rate", help="Requests per second.")]
SpeedOption = Annotated[
    float | None, typer.Option("--speed", help="Recorded pace times X (2: twice as fast).")
]
AsapOption = Annotated[
    bool, typer.Option("--as-fast-as-possible", help="No pacing \\[the default].")
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, help="In flight, per worker.")
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="Processes; sessions are split among them (ids correlate within one).",
    ),
]
SessionsOption = Annotated[
    str | None,
    quiet("--sessions-by", "header:NAME or cookie:NAME \\[default: the recorded session]."),
]
HeaderOption = Annotated[
    list[str] | None,
    quiet("--header", "'Name: value' replacing a recorded header, for every target."),
]
HeaderForOption = Annotated[
    list[str] | None,
    quiet("--header-for", "'TARGET=Name: value': a header for one target (repeatable)."),
]
RunIdOption = Annotated[
    str | None,
    quiet("--run-id", "Resume this run \\[default: a new one]."),
]
CorrelateOption = Annotated[
    bool,
    typer.Option("--correlate/--no-correlate", help="Rewrite legacy ids into each target's."),
]
OrderOption = Annotated[
    str | None,
    quiet(
        "--order",
        "causal: sessions wait for another's create they use; recorded: one at a time; "
        "sessions: independent \\[default: causal, sessions with --workers > 1].",
    ),
]
CredentialsOption = Annotated[
    Path | None,
    quiet("--credentials", "TOML or YAML: the real value of each redacted token."),
]


def replay_command(
    legacy: LegacyOption = None,
    candidate: CandidateOption = None,
    replica: ReplicaOption = None,
    target: TargetOption = None,
    store: StoreOption = None,
    segments: SegmentsOption = None,
    sources: FromOption = None,
    format: FormatOption = None,
    filter: FilterOption = None,
    rate: RateOption = None,
    speed: SpeedOption = None,
    asap: AsapOption = False,
    concurrency: ConcurrencyOption = 16,
    workers: WorkersOption = 1,
    sessions: SessionsOption = None,
    header: HeaderOption = None,
    header_for: HeaderForOption = None,
    run_id: RunIdOption = None,
    correlate: CorrelateOption = True,
    timeout: TimeoutOption = 30.0,
    order: OrderOption = None,
    credentials: CredentialsOption = None,
    config: ConfigOption = None,
) -> None:
    """Send recorded requests to every target, in session order, and record the answers.

    Example: twinsight replay --store recorded.duckdb --legacy http://127.0.0.1:8081
    --candidate http://127.0.0.1:8082 --credentials credentials.toml
    """
    from twinsight.replay.plan import ReplayFlags, build_plan, credential_warnings, legacy_silent
    from twinsight.replay.service import run_replay

    named = {"legacy": legacy, "replica": replica, "candidate": candidate}
    settings = write_settings(config, named, target, store, segments)
    flags = ReplayFlags(  # several to a line: sixteen flags one per line would hide the rest
        sources=tuple(sources or ()), format=format, filter=filter,
        rate=rate, speed=speed, asap=asap, concurrency=concurrency, sessions_by=sessions,
        headers=tuple(header or ()), headers_for=tuple(header_for or ()),
        run_id=run_id, correlate=correlate, timeout_s=timeout,
        order=order, credentials=credentials, workers=workers,
    )  # fmt: skip
    plan = build_plan(settings, flags)
    show_text(err, credential_warnings(plan.options))
    with reading(sources or []) as on_bytes:
        summary, tally = run_replay(settings, plan, on_bytes=on_bytes, workers=workers)
    show_text(out, [*skipped_lines(tally), *replay_lines(summary)])
    failed = legacy_silent(summary, settings.targets.get(PRIMARY_TARGET))
    if failed:
        raise failed
