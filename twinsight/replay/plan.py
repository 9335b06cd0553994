"""From the flags of `twinsight replay` (and the settings it shares with capture and import)
to a `ReplayPlan`: which store is written, how fast, with which headers, under which run id,
and whether the run's outcome is a failed check.

Plain functions over plain values, so each rule is tested without starting a command.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from twinsight.config import Config
from twinsight.errors import CheckFailed, UserError
from twinsight.events import ReplaySummary
from twinsight.records import PRIMARY_TARGET
from twinsight.store.redaction import KEY_ENV, Redactor

from .credentials import Credentials, load_credentials, unmatched
from .engine import ORDERS, Order, ReplayOptions
from .formats import FORMATS, Format
from .outgoing import ALL_TARGETS, parse_header
from .pacing import Pacing
from .service import ReplayPlan
from .sessions import check_sessions_by

__all__ = [
    "ReplayFlags",
    "build_plan",
    "check_format",
    "choose_order",
    "choose_pacing",
    "credential_warnings",
    "header_overrides",
    "legacy_silent",
    "new_run_id",
    "with_store",
    "with_targets",
]


def with_targets(
    settings: Config,
    named: Mapping[str, str | None],
    extra: Sequence[str] | None = None,
    capture: Mapping[str, object] | None = None,
) -> Config:
    """Targets given by flags (`--legacy URL`, `--target NAME=URL`) over the config's, and
    capture flags over its capture section; None means the flag was not given."""
    given = {name: url for name, url in named.items() if url}
    for item in extra or ():
        name, equals, url = item.partition("=")
        if not equals:
            raise UserError(f"--target {item!r}: expected NAME=URL")
        given[name.strip()] = url.strip()
    merged = {**{name: str(url) for name, url in settings.targets.items()}, **given}
    return settings.with_overrides(targets=merged, capture=dict(capture or {}))


def with_store(settings: Config, store: Path | None, segments: Path | None) -> Config:
    """The store written: `--store`/`--segments` replace the config's store as a whole
    (`--store` alone writes no segments), else the config's."""
    if not store and not segments:
        return settings
    chosen = settings.store.model_copy(update={"path": store, "segments": segments})
    return settings.model_copy(update={"store": chosen})


def choose_pacing(rate: float | None, speed: float | None, asap: bool) -> Pacing:
    """At most one of `--rate`, `--speed` and `--as-fast-as-possible`; none: no pacing."""
    if (rate is not None) + (speed is not None) + asap > 1:
        raise UserError("choose one of --rate, --speed and --as-fast-as-possible")
    try:
        if rate is not None:
            return Pacing("rate", rate)
        if speed is not None:
            return Pacing("speed", speed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return Pacing()


def header_overrides(
    headers: Iterable[str], headers_for: Iterable[str], targets: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """`--header 'Name: value'` (every target) and `--header-for 'TARGET=Name: value'`, by
    target name (`ALL_TARGETS` for every one); a target not among `targets` is refused."""
    overrides: dict[str, list[tuple[str, str]]] = {}
    try:
        for text in headers:
            overrides.setdefault(ALL_TARGETS, []).append(parse_header(text))
        for item in headers_for:
            name, equals, text = item.partition("=")
            if not equals:
                shown = item.partition(":")[0]  # never the value: it may be a credential
                raise ValueError(f"--header-for {shown!r}...: expected 'TARGET=Name: value'")
            overrides.setdefault(name.strip(), []).append(parse_header(text))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    unknown = set(overrides) - {ALL_TARGETS, *targets}
    if unknown:
        raise UserError(f"--header-for {sorted(unknown)[0]!r}: no such target")
    return overrides


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id: the UTC time to the second, and 4 random hex digits against clashes."""
    moment = now or datetime.now(UTC)
    return moment.strftime("run-%Y%m%d-%H%M%S-") + os.urandom(2).hex()


def check_format(text: str | None) -> Format | None:
    """The `--format` value if it names a format (None: detect it from the file)."""
    for known in FORMATS:
        if text == known:
            return known
    if text is not None:
        raise UserError(f"--format {text!r}: expected one of {', '.join(FORMATS)}")
    return None


@dataclass(frozen=True)
class ReplayFlags:
    """The flags of `twinsight replay` that shape the plan, as given (None: not given)."""

    sources: tuple[Path, ...] = ()
    format: str | None = None
    filter: str | None = None
    rate: float | None = None
    speed: float | None = None
    asap: bool = False
    concurrency: int = 16
    sessions_by: str | None = None
    headers: tuple[str, ...] = ()
    headers_for: tuple[str, ...] = ()
    run_id: str | None = None
    correlate: bool = True
    timeout_s: float = 30.0
    order: str | None = None
    credentials: Path | None = None
    workers: int = 1


def choose_order(order: str | None, workers: int) -> tuple[Order, str]:
    """(the order to replay in, a note when it is not the default one asked for).

    Causal and recorded order wait across sessions, which only one process can do: with
    several workers the default becomes `sessions`, said in the summary, and asking
    for either explicitly is refused."""
    chosen = next((known for known in ORDERS if known == order), None)
    if order is not None and chosen is None:
        raise UserError(f"--order {order!r}: expected one of {', '.join(ORDERS)}")
    if workers <= 1:
        return chosen or "causal", ""
    if chosen is None:
        return "sessions", "sessions replayed independently: causal order needs --workers 1"
    if chosen == "sessions":
        return chosen, ""
    raise UserError(
        f"--order {chosen} needs --workers 1: a session waits for another's create "
        "only within one process"
    )


def build_plan(settings: Config, flags: ReplayFlags) -> ReplayPlan:
    """The plan for `flags` against the targets and capture limits of `settings`."""
    pacing = choose_pacing(flags.rate, flags.speed, flags.asap)
    order, order_note = choose_order(flags.order, flags.workers)
    overrides = header_overrides(flags.headers, flags.headers_for, settings.targets)
    options = ReplayOptions(
        run=flags.run_id or new_run_id(),
        pacing=pacing,
        concurrency=flags.concurrency,
        correlate=flags.correlate,
        headers=overrides,
        max_body=settings.capture.max_body,
        sessions_by=check_sessions_by(flags.sessions_by) if flags.sessions_by else None,
        order=order,
        order_note=order_note,
        credentials=(
            load_credentials(flags.credentials, settings.targets)
            if flags.credentials
            else Credentials()
        ),
    )
    chosen = check_format(flags.format)
    return ReplayPlan(options, flags.sources, chosen, flags.filter, flags.timeout_s)


def credential_warnings(options: ReplayOptions) -> list[str]:
    """Credentials whose value does not give their token under the redaction key of this
    environment (`TWINSIGHT_REDACTION_KEY`), when one is set: likely another user's."""
    if not options.credentials.given or not os.environ.get(KEY_ENV):
        return []
    return [f"warning: {line}" for line in unmatched(options.credentials, Redactor().marker)]


def legacy_silent(summary: ReplaySummary, legacy_url: object) -> CheckFailed | None:
    """The failed check when requests were sent and the legacy answered none: with nothing
    to compare against, the run failed whatever the counts say."""
    if summary.sent and not summary.answered[PRIMARY_TARGET]:
        return CheckFailed(
            f"the legacy answered none of {summary.sent} request(s): is it up at {legacy_url}?"
        )
    return None
