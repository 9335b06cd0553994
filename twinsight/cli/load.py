"""`twinsight load`: the captured request mix (or the spec's bound requests) under the same
load against each target, then the spec's constraints measured on both."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from twinsight.cli.console import err, out
from twinsight.cli.options import ConfigOption, SpecOption, StoreOption, quiet
from twinsight.config import load_config
from twinsight.errors import UserError
from twinsight.records import PRIMARY_TARGET
from twinsight.spec import load_spec

if TYPE_CHECKING:
    from twinsight.load import LoadRequest, LoadShape
    from twinsight.load.service import Prepare
    from twinsight.records import Exchange
    from twinsight.replay.credentials import Credentials
    from twinsight.spec import PathTemplate, Spec
    from twinsight.spec.model import Input, RequestBinding
    from twinsight.store.loads import LoadRow

__all__ = ["MAX_REQUESTS", "load_command"]

TABLE_WIDTH = 160
MAX_REQUESTS = 10_000
"""The mix is the first this many requests of the capture: a load run cycles through them."""

LegacyOption = Annotated[
    str, typer.Option("--legacy", help="Base URL of the legacy service.", show_default=False)
]
CandidateOption = Annotated[
    str, typer.Option("--candidate", help="Base URL of the candidate.", show_default=False)
]
FromOption = Annotated[
    Path | None,
    quiet("--from", "Capture whose request mix is sent: a store, HAR, mitmproxy or GoReplay "
          "file \\[default: the store; with --spec and no store, the spec's bound requests]."),
]  # fmt: skip
UsersOption = Annotated[int, typer.Option("--users", min=1, help="Concurrent users.")]
RateOption = Annotated[
    float | None,
    quiet("--rate", "Requests per second over all users \\[default: as fast as they go].", min=0.1),
]
DurationOption = Annotated[  # whole seconds: locust's --run-time takes no fraction
    int, typer.Option("--duration", min=1, help="Seconds of load on each target.")
]
HeaderOption = Annotated[
    list[str] | None, quiet("--header", "'Name: value' set on every request (repeatable).")
]
CredentialsOption = Annotated[
    Path | None,
    quiet("--credentials", "TOML or YAML: the real value of each redacted token (as replay)."),
]
CANDIDATE = "candidate"
"""The name the candidate's measures are stored under, as the proxy names it."""


def load_command(
    legacy: LegacyOption,
    candidate: CandidateOption,
    source: FromOption = None,
    users: UsersOption = 10,
    rate: RateOption = None,
    duration: DurationOption = 10,
    store: StoreOption = None,
    spec: SpecOption = None,
    header: HeaderOption = None,
    credentials: CredentialsOption = None,
    config: ConfigOption = None,
) -> None:
    """Send the same load to the legacy, then the candidate, and measure the spec's constraints.

    Locust runs headless in a process of its own: per endpoint and target,
    latency percentiles, statuses, errors and the achieved rate are stored
    (table load_results), and each constraint is shown as met, missed or
    not measurable (with why); ready and report judge them on this run.

    Recorded tokens are sent with their real values from --credentials;
    requests with other credentials are other users, each locust user
    holding one (a limit per user is measured per user).

    Example: twinsight load --legacy http://localhost:8081
    --candidate http://localhost:8082 --spec spec.yaml --users 10
    --rate 200 --duration 30
    """
    from twinsight.cli.load_credentials import read_credentials, with_identities
    from twinsight.load import LoadShape
    from twinsight.store.loads import write_load

    settings = load_config(config)
    path, segments = (store, None) if store is not None else settings.store.locations()
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None
    targets = {PRIMARY_TARGET: legacy, CANDIDATE: candidate}
    known = read_credentials(credentials, targets)
    requests = _mix(source, path, loaded, _headers(header or []))
    requests = with_identities(requests, known, list(targets))
    rows = _measured(
        targets, requests, LoadShape(users=users, rate=rate, duration_s=duration), known
    )
    write_load(path, segments, rows)
    _show(rows, loaded, list(targets), settings.readiness.confidence)


def _measured(
    targets: dict[str, str], requests: list[LoadRequest], shape: LoadShape, known: Credentials
) -> list[LoadRow]:
    """The load run on each target in turn, with a live progress line."""
    from twinsight.cli.load_credentials import secrets_of
    from twinsight.load import run_load
    from twinsight.report.load import progress_line

    with err.status("starting locust") as status:

        def progress(target: str, sent: int, elapsed: float) -> None:
            status.update(progress_line(target, sent, elapsed, shape.duration_s))

        return run_load(
            targets, requests, shape, progress,
            prepare=_restoring(known), secrets=secrets_of(known, list(targets)),
        )  # fmt: skip


def _show(rows: list[LoadRow], spec: Spec | None, targets: list[str], confidence: float) -> None:
    width = out.width
    out.width = max(width, TABLE_WIDTH)  # a CI log keeps each line whole
    try:
        _tables(rows, spec, targets, confidence)
    finally:
        out.width = width


def _tables(rows: list[LoadRow], spec: Spec | None, targets: list[str], confidence: float) -> None:
    from twinsight.analysis.constraints import measure_constraints
    from twinsight.report.load import constraint_table, endpoint_table

    out.print(endpoint_table(rows))
    constraints = [
        (group, c.name, c.requirement, c.measurement or "")
        for group, items in (spec.constraints.items() if spec else ())
        for c in items
    ]
    if constraints:
        results = measure_constraints(constraints, rows, confidence)
        out.print(constraint_table(results, targets))
    else:
        err.print("no spec constraints to measure (give --spec)")


def _restoring(known: Credentials) -> Prepare:
    """Each target's requests with its credentials restored; a line for those sent without
    one they were recorded with."""
    from twinsight.cli.load_credentials import restored

    def prepare(target: str, requests: Sequence[LoadRequest]) -> Sequence[LoadRequest]:
        sent, short = restored(requests, known, target)
        if short:
            err.print(
                f"load: {short} of {len(sent)} request(s) go to {target} without a credential "
                "they were recorded with (no value for its token: give --credentials)"
            )
        return sent

    return prepare


def _headers(given: Sequence[str]) -> tuple[tuple[str, str], ...]:
    from twinsight.replay.outgoing import parse_header

    try:
        return tuple(parse_header(text) for text in given)
    except ValueError as exc:
        raise UserError(f"--header: {exc}") from None


def _mix(
    source: Path | None,
    store: Path | None,
    spec: Spec | None,
    headers: tuple[tuple[str, str], ...],
) -> list[LoadRequest]:
    """The requests to cycle through: the capture's, else the spec's bound ones."""
    capture = source or (store if store is not None and store.exists() else None)
    if capture is not None:
        return _from_capture(capture, spec, headers)
    if spec is None:
        raise UserError("load: no capture to replay: give --from, a --store with traffic or --spec")
    return _from_spec(spec, headers)


def _from_capture(
    capture: Path, spec: Spec | None, headers: tuple[tuple[str, str], ...]
) -> list[LoadRequest]:
    from twinsight.analysis.endpoints import Endpoints
    from twinsight.replay.formats import Tally, exchanges_only, read_capture

    if not capture.exists():
        raise UserError(f"--from {capture}: no such file")
    taken = list(islice(exchanges_only(read_capture(capture), Tally()), MAX_REQUESTS))
    if not taken:
        raise UserError(f"{capture}: holds no request to send")
    endpoints = Endpoints(_templates(spec))
    endpoints.learn((e.method, e.path) for e in taken)
    return [_request(e, endpoints.of(e.method, e.path), headers) for e in taken]


def _request(
    exchange: Exchange, endpoint: str, headers: tuple[tuple[str, str], ...]
) -> LoadRequest:
    from twinsight.load import LoadRequest

    target = exchange.path + (f"?{exchange.query}" if exchange.query else "")
    given = {name.lower() for name, _ in headers}
    kept = tuple((k, v) for k, v in exchange.headers if k.lower() not in given)
    return LoadRequest(exchange.method, target, endpoint, kept + headers, exchange.body.data)


def _templates(spec: Spec | None) -> list[tuple[str, PathTemplate]]:
    return [(b.method, b.template) for b in _bindings(spec)]


def _bindings(spec: Spec | None) -> Iterator[RequestBinding]:
    for scenario in spec.scenarios if spec else ():
        yield from scenario.when.bindings


def _from_spec(spec: Spec, headers: tuple[tuple[str, str], ...]) -> list[LoadRequest]:
    """Each bound request without path parameters; its body the binding's, else the first
    example of each of the scenario's inputs."""
    found: dict[tuple[str, str], LoadRequest] = {}
    for scenario in spec.scenarios:
        for binding in scenario.when.bindings:
            if "{" not in binding.path:  # a parameter needs a value only a capture gives
                request = _bound(binding, scenario.inputs, headers)
                found.setdefault((request.method, request.target), request)
    if not found:
        raise UserError("load: the spec binds no request without path parameters: give --from")
    return list(found.values())


def _bound(
    binding: RequestBinding, inputs: Sequence[Input], headers: tuple[tuple[str, str], ...]
) -> LoadRequest:
    from urllib.parse import urlencode

    from twinsight.load import LoadRequest

    query = f"?{urlencode(binding.query)}" if binding.query else ""
    fields: dict[str, object] = dict(binding.body)
    if not fields and binding.method not in ("GET", "HEAD", "DELETE"):
        fields = {i.name: i.examples[0] for i in inputs if i.examples and not i.optional}
    body = json.dumps(fields).encode() if fields else b""
    typed = (("Content-Type", "application/json"),) if body else ()
    endpoint = f"{binding.method} {binding.path}"
    return LoadRequest(binding.method, binding.path + query, endpoint, typed + headers, body)
