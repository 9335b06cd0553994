"""The `twinsight` command line: wiring only, each command builds settings and calls the library.

Exit codes: 0 success, 1 a check failed, 2 a usage or input error (one line, no
traceback unless --debug).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from twinsight import __version__
from twinsight.config import Config, load_config
from twinsight.errors import CheckFailed, SpecError, TwinsightError, UserError
from twinsight.report.terminal import capture_line, replay_lines
from twinsight.spec import SpecCoverage, load_spec, spec_coverage, spec_markdown

if TYPE_CHECKING:
    from twinsight.analysis.run import Analysis
    from twinsight.replay.formats import Format

__all__ = ["app", "main"]

# soft_wrap: lines stay whole in pipes and CI logs, where rich would fold them at 80.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

app = typer.Typer(
    name="twinsight",
    help="Shadow-traffic differential verifier for parallel-run migrations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
spec_app = typer.Typer(help="Check and show scenario specs.", no_args_is_help=True)
example_app = typer.Typer(
    help="Run the bundled Task Management example services.", no_args_is_help=True
)
config_app = typer.Typer(help="Check and show the twinsight.toml config.", no_args_is_help=True)
store_app = typer.Typer(help="Inspect the exchange store.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")
app.add_typer(store_app, name="store")
app.add_typer(example_app, name="example")
app.add_typer(config_app, name="config")


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file \\[default: ./twinsight.toml if present]"),
]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="DuckDB store file \\[default: from the config].")
]
SegmentsOption = Annotated[
    Path | None,
    typer.Option("--segments", help="Folder of Parquet segments \\[default: from the config]."),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"twinsight {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Shadow-traffic differential verifier for parallel-run migrations."""


# ---------------------------------------------------------------- spec


@spec_app.command("check")
def spec_check(
    files: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
) -> None:
    """Validate spec files and summarise what a machine can check.

    Example: twinsight spec check "$(twinsight example files)/spec.yaml"
    """
    failed = 0
    for file in files:
        try:
            spec = load_spec(file)
        except SpecError as exc:
            failed += 1
            for problem in exc.problems:
                err.print(escape(str(problem)))
            continue
        _print_coverage(str(file), spec_coverage(spec))
    if failed:
        raise CheckFailed(f"{failed} of {len(files)} spec file(s) invalid")


def _print_coverage(name: str, coverage: SpecCoverage) -> None:
    scenarios = f"{len(coverage.scenarios)} scenarios ({coverage.bound_scenarios} bound to HTTP)"
    lines = (
        f"{coverage.bound_lines} lines machine-checked, "
        f"{coverage.unbound_lines} not machine-checked"
    )
    out.print(f"[green]ok[/] {escape(name)}: {scenarios}, {lines}")
    if coverage.constraints:
        groups = ", ".join(f"{group} {count}" for group, count in coverage.constraints.items())
        out.print(f"   constraints: {groups} (not machine-checked yet)")
    if coverage.accepted:
        out.print(f"   accepted differences: {coverage.accepted}")
    for scenario in coverage.scenarios:
        for line in scenario.unbound_lines:
            out.print(f"   [yellow]not machine-checked[/] {escape(scenario.name)}: {escape(line)}")


@spec_app.command("show")
def spec_show(
    file: Annotated[Path, typer.Argument(help="A spec file.", show_default=False)],
) -> None:
    """Render a spec as Markdown for reviewers.

    Example: twinsight spec show spec.yaml > spec.md
    """
    sys.stdout.write(spec_markdown(load_spec(file)))


# ---------------------------------------------------------------- config


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Validate the config and print the settings in force, defaults included.

    Example: twinsight config show --config twinsight.toml
    """
    settings = load_config(config)
    out.print_json(settings.model_dump_json())


# ---------------------------------------------------------------- store


@store_app.command("info")
def store_info_command(
    store: StoreOption = None, segments: SegmentsOption = None, config: ConfigOption = None
) -> None:
    """Count what a store holds: per source, target and endpoint, time span, size.

    Example: twinsight store info --store twinsight.duckdb --segments segments/
    """
    from twinsight.store import open_store, store_info

    settings = load_config(config)
    if store is None and segments is None:
        store, segments = settings.store.locations()
    paths = [p for p in (store, segments) if p is not None]
    info = store_info(open_store(store, segments), paths)
    out.print(
        f"[bold]{info.exchanges}[/] exchanges, {info.size_bytes / 1e6:.1f} MB, "
        f"from {info.first or '-'} to {info.last or '-'}"
    )
    _print_counts("by source", info.by_source)
    for target, outcomes in info.by_target.items():
        _print_counts(f"target {target}", outcomes)
    _print_counts("by endpoint", info.by_endpoint)
    _print_counts("capture counters", info.counters)
    if info.unanswered:
        out.print(
            f"[yellow]{info.unanswered} exchange(s) without any answer[/]: nothing to compare"
        )
    if info.lost:
        out.print(f"[red]lost {info.lost}[/]: captured, then neither stored nor counted as dropped")
    for writer in info.unclean:
        out.print(
            f"[yellow]no clean shutdown recorded[/] for writer {escape(writer.writer)} "
            f"(killed, crashed or still running): last flush {writer.last_flush}, "
            f"{writer.lost} captured exchange(s) not stored by then"
        )


@store_app.command("check")
def store_check_command(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Remove extra copies and key the tables (a DuckDB file)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Find duplicates, orphans and unkeyed tables; exit 1 when any is left.

    Example: twinsight store check --store run.duckdb --repair
    """
    from twinsight.store import check_store

    settings = load_config(config)
    if store is None and segments is None:
        store, segments = settings.store.locations()
    report = check_store(store, None if store else segments, repair=repair)
    for note in report.repaired:
        out.print(f"[green]repaired[/] {escape(note)}")
    problems = report.problems
    for line in problems:
        out.print(f"[yellow]found[/] {escape(line)}")
    if problems:
        hint = "" if repair else " (--repair removes duplicates)"
        raise CheckFailed(f"{report.where}: {len(problems)} problem(s){hint}")
    out.print(
        f"[green]ok[/] {escape(report.where)}: one row per key, every answer has its exchange"
    )


def _print_counts(title: str, counts: dict[str, int]) -> None:
    if counts:
        out.print(f"{title}: " + ", ".join(f"{escape(k)} {v}" for k, v in counts.items()))


# ---------------------------------------------------------------- capture

_CLUSTERS_SHOWN = 10

UrlOption = Annotated[str | None, typer.Option(show_default=False)]
TargetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--target", help="Another target to mirror to, NAME=URL (repeatable).", show_default=False
    ),
]
ListenOption = Annotated[str, typer.Option("--listen", help="HOST:PORT to listen on.")]
AdminOption = Annotated[
    str | None,
    typer.Option("--admin", help="HOST:PORT for /health and /metrics.", show_default=False),
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
    typer.Option(
        "--mirror-writes/--no-mirror-writes",
        help="Also mirror POST, PUT, PATCH, DELETE (see README).",
        show_default=False,
    ),
]
SuffixOption = Annotated[
    bool | None,
    typer.Option(
        "--shadow-host-suffix/--no-shadow-host-suffix",
        help="Append -shadow to mirrored Hosts.",
        show_default=False,
    ),
]
CorrelateOption = Annotated[
    bool | None,
    typer.Option(
        "--correlate/--no-correlate",
        help="Rewrite legacy ids into each target's own.",
        show_default=False,
    ),
]
TrustOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trust-forwarded",
        metavar="CIDR_OR_IP",
        help="A peer whose X-Forwarded-* are believed (repeatable); see README.",
        show_default=False,
    ),
]


def _capture_config(
    config: Path | None,
    targets: dict[str, str | None],
    extra: list[str] | None,
    store: Path | None,
    segments: Path | None,
    capture: dict[str, object],
) -> Config:
    settings = load_config(config)
    named = {k: v for k, v in targets.items() if v}
    for item in extra or []:
        name, equals, url = item.partition("=")
        if not equals:
            raise UserError(f"--target {item!r}: expected NAME=URL")
        named[name.strip()] = url.strip()
    stores = {"path": store, "segments": segments} if store or segments else {}
    if store and not segments:
        stores["segments"] = None
    merged = {**{k: str(v) for k, v in settings.targets.items()}, **named}
    changed = settings.with_overrides(targets=merged, capture=capture)
    if stores:
        changed = changed.model_copy(update={"store": changed.store.model_copy(update=stores)})
    return changed


def _run_capture(
    mode: Literal["proxy", "sink"], settings: Config, listen: str, admin: str | None
) -> None:
    from twinsight.proxy.service import parse_address, serve

    address = parse_address(listen, "--listen")
    admin_address = parse_address(admin, "--admin") if admin else None
    summary = serve(mode, settings, address, admin_address, lambda line: err.print(escape(line)))
    err.print(escape(capture_line(summary)))


@app.command("proxy")
def proxy(
    legacy: Annotated[
        str | None, typer.Option("--legacy", help="The legacy service's URL.")
    ] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="The candidate's URL.")
    ] = None,
    replica: Annotated[
        str | None, typer.Option("--replica", help="A second legacy (noise).")
    ] = None,
    target: TargetOption = None,
    listen: ListenOption = "127.0.0.1:8080",
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
    config: ConfigOption = None,
) -> None:
    """Serve clients from the legacy and mirror their requests to the candidate, recording both.

    Example: twinsight proxy --legacy http://127.0.0.1:8081 --candidate http://127.0.0.1:8082
    """
    settings = _capture_config(
        config,
        {"legacy": legacy, "replica": replica, "candidate": candidate},
        target,
        store,
        segments,
        _capture_flags(
            sample,
            max_body,
            mirror_timeout,
            mirror_queue,
            mirror_writes,
            shadow_host_suffix,
            correlate,
            trust_forwarded,
        ),
    )
    _run_capture("proxy", settings, listen, admin)


@app.command("sink")
def sink(
    legacy: Annotated[str | None, typer.Option("--legacy", help="A legacy replica's URL.")] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="The candidate's URL.")
    ] = None,
    replica: Annotated[
        str | None, typer.Option("--replica", help="A second legacy (noise).")
    ] = None,
    target: TargetOption = None,
    listen: ListenOption = "127.0.0.1:8090",
    admin: AdminOption = None,
    store: StoreOption = None,
    segments: SegmentsOption = None,
    sample: SampleOption = None,
    max_body: MaxBodyOption = None,
    mirror_timeout: MirrorTimeoutOption = None,
    mirror_queue: MirrorQueueOption = None,
    mirror_writes: WritesOption = None,
    correlate: CorrelateOption = None,
    trust_forwarded: TrustOption = None,
    config: ConfigOption = None,
) -> None:
    """Take requests mirrored by nginx, Envoy or Istio and fan them out to every target.

    Example: twinsight sink --legacy http://10.0.0.5:8081 --candidate http://10.0.0.6:8082
    """
    settings = _capture_config(
        config,
        {"legacy": legacy, "replica": replica, "candidate": candidate},
        target,
        store,
        segments,
        _capture_flags(
            sample,
            max_body,
            mirror_timeout,
            mirror_queue,
            mirror_writes,
            None,
            correlate,
            trust_forwarded,
        ),
    )
    _run_capture("sink", settings, listen, admin)


def _capture_flags(
    sample: float | None,
    max_body: int | None,
    mirror_timeout: float | None,
    mirror_queue: int | None,
    mirror_writes: bool | None,
    suffix: bool | None,
    correlate: bool | None,
    trust_forwarded: list[str] | None,
) -> dict[str, object]:
    return {
        "sample": sample,
        "max_body": max_body,
        "mirror_timeout_s": mirror_timeout,
        "mirror_queue": mirror_queue,
        "mirror_writes": mirror_writes,
        "shadow_host_suffix": suffix,
        "correlate": correlate,
        "trust_forwarded": trust_forwarded or None,
    }


@app.command("mitm-addon")
def mitm_addon() -> None:
    """Print the path of the mitmproxy addon, for `mitmdump -s`.

    Example: mitmdump --mode reverse:http://127.0.0.1:8081 -s "$(twinsight mitm-addon)" --set twinsight_candidate=http://127.0.0.1:8082
    """
    import twinsight.proxy

    sys.stdout.write(f"{Path(twinsight.proxy.__file__).parent / 'mitm.py'}\n")


# ---------------------------------------------------------------- analysis


@app.command("analyze")
def analyze(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Spec file \\[default: from the config].")
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write one JSON line per exchange to FILE ('-': stdout).",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Judge every exchange again, not only new ones.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Classify captured exchanges and write the differences and classifications tables.

    Only exchanges an earlier run did not classify are judged, unless the spec, the rules or
    the targets changed since (or --full). Example:
    twinsight analyze --store run.duckdb --spec spec.yaml --config twinsight.toml
    """
    from twinsight.analysis.run import analyse_store

    settings = load_config(config)
    if store is None and segments is None:
        store, segments = settings.store.locations()
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None
    with _json_lines(json_out) as lines:
        analysis = analyse_store(
            store, segments, config=settings, spec=loaded, json_out=lines, full=full
        )
    report = err if str(json_out) == "-" else out  # stdout carries the JSON lines
    _print_verdicts(report, analysis)
    _print_findings(report, analysis)


@contextmanager
def _json_lines(target: Path | None) -> Iterator[BinaryIO | None]:
    """Where `analyze --json` writes: nothing, standard output ('-'), or a file."""
    if target is None:
        yield None
    elif str(target) == "-":
        yield sys.stdout.buffer
    else:
        with target.open("wb") as lines:
            yield lines


def _print_verdicts(report: Console, analysis: Analysis) -> None:
    """Counts per classification, and what was left out and why."""
    total = sum(analysis.counts.values())
    if analysis.analysed == total:
        report.print(f"[bold]{total}[/] exchange(s) analysed")
    else:
        report.print(
            f"[bold]{total}[/] exchange(s) in all: {analysis.analysed} analysed now, "
            f"{total - analysis.analysed} kept from the last run (same spec, rules and "
            "targets; --full to judge all again)"
        )
    for classification, count in analysis.counts.items():
        report.print(f"  {classification:<16} {count}")
    for reason, count in analysis.left_out.most_common():
        report.print(f"[yellow]{count} not compared[/]: {escape(reason)}")
    if analysis.unanswered:
        report.print(
            f"[yellow]{analysis.unanswered} exchange(s) not compared[/]: no target answered "
            "them (twinsight store info counts them too)"
        )


def _print_findings(report: Console, analysis: Analysis) -> None:
    """Scenario coverage, the first clusters, and proposed volatile rules."""
    if analysis.coverage:
        report.print("scenarios (exchanges, and how many passed every checked line):")
        for run in analysis.coverage:
            report.print(f"  {escape(run.line())}")
    for found in analysis.clusters[:_CLUSTERS_SHOWN]:
        report.print(f"- {escape(found.description)}")
        for hypothesis in found.hypotheses[:2]:
            report.print(f"    likely: {escape(hypothesis)}")
    if len(analysis.clusters) > _CLUSTERS_SHOWN:
        report.print(
            f"... and {len(analysis.clusters) - _CLUSTERS_SHOWN} more cluster(s) "
            "(table clusters in the store)"
        )
    if analysis.volatile:
        report.print(
            "values that differ in every exchange on both sides (ids, times, tokens): "
            "once checked, paste into twinsight.toml to compare them by shape:"
        )
        for volatile in analysis.volatile:
            report.print(escape(volatile.rule_text()))


# ---------------------------------------------------------------- import and replay

FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="har, mitm, goreplay or store \\[default: from the file]."),
]


@app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="HAR, mitmproxy flow or GoReplay files, or stores.")
    ],
    store: StoreOption = None,
    segments: SegmentsOption = None,
    format: FormatOption = None,
    config: ConfigOption = None,
) -> None:
    """Read recorded traffic into the store; the recorded answer becomes the legacy's.

    Example: twinsight import session.har flows.mitm requests.gor --store recorded.duckdb
    """
    from twinsight.replay.service import import_captures

    settings = _capture_config(config, {}, None, store, segments, {})
    with _reading(files) as on_bytes:
        result = import_captures(settings, files, format=_format(format), on_bytes=on_bytes)
    for file, tally in result.tallies.items():
        out.print(f"{escape(str(file))}: read {tally.read}, skipped {tally.skipped}")
        for reason in tally.reasons:
            out.print(f"   skipped {escape(reason)}")
    out.print(f"stored {result.stored}, already in the store {result.already_stored}")


@app.command("replay")
def replay_command(
    legacy: Annotated[str | None, typer.Option("--legacy", help="The legacy's URL.")] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="The candidate's URL.")
    ] = None,
    replica: Annotated[
        str | None, typer.Option("--replica", help="A second legacy (noise).")
    ] = None,
    target: TargetOption = None,
    store: StoreOption = None,
    segments: SegmentsOption = None,
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--from", help="Replay these files or stores instead of --store.", show_default=False
        ),
    ] = None,
    format: FormatOption = None,
    filter: Annotated[
        str | None, typer.Option("--filter", help="CEL over `request`: which to replay.")
    ] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Requests per second.")] = None,
    speed: Annotated[
        float | None, typer.Option("--speed", help="Recorded pace times X (2: twice as fast).")
    ] = None,
    asap: Annotated[
        bool, typer.Option("--as-fast-as-possible", help="No pacing [the default].")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="In flight, per worker.")
    ] = 16,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes; sessions are split among them (ids correlate within one).",
        ),
    ] = 1,
    sessions: Annotated[
        str | None,
        typer.Option(
            "--sessions-by",
            help="header:NAME or cookie:NAME \\[default: the recorded session].",
            show_default=False,
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            help="'Name: value' replacing a recorded header, for every target.",
            show_default=False,
        ),
    ] = None,
    header_for: Annotated[
        list[str] | None,
        typer.Option(
            "--header-for",
            help="'TARGET=Name: value': a header for one target (repeatable).",
            show_default=False,
        ),
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id", help="Resume this run \\[default: a new one].", show_default=False
        ),
    ] = None,
    correlate: Annotated[
        bool,
        typer.Option("--correlate/--no-correlate", help="Rewrite legacy ids into each target's."),
    ] = True,
    timeout: Annotated[float, typer.Option("--timeout", min=0.001, help="Per target (s).")] = 30.0,
    config: ConfigOption = None,
) -> None:
    """Send recorded requests to every target, in session order, and record the answers.

    Example: twinsight replay --store recorded.duckdb --legacy http://127.0.0.1:8081
    --candidate http://127.0.0.1:8082 --header-for 'candidate=Authorization: Bearer T'
    """
    from twinsight.replay.engine import ReplayOptions
    from twinsight.replay.outgoing import ALL_TARGETS, parse_header
    from twinsight.replay.pacing import Pacing
    from twinsight.replay.service import ReplayPlan, run_replay
    from twinsight.replay.sessions import check_sessions_by

    settings = _capture_config(
        config,
        {"legacy": legacy, "replica": replica, "candidate": candidate},
        target,
        store,
        segments,
        {},
    )
    chosen = [(m, v) for m, v in (("rate", rate), ("speed", speed)) if v is not None]
    if len(chosen) + asap > 1:
        raise UserError("choose one of --rate, --speed and --as-fast-as-possible")
    overrides: dict[str, list[tuple[str, str]]] = {}
    try:
        pacing = Pacing(chosen[0][0], chosen[0][1]) if chosen else Pacing()  # type: ignore[arg-type]
        for text in header or []:
            overrides.setdefault(ALL_TARGETS, []).append(parse_header(text))
        for item in header_for or []:
            name, equals, text = item.partition("=")
            if not equals:
                raise ValueError(f"--header-for {item!r}: expected 'TARGET=Name: value'")
            overrides.setdefault(name.strip(), []).append(parse_header(text))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    unknown = set(overrides) - {ALL_TARGETS, *settings.targets}
    if unknown:
        raise UserError(f"--header-for {sorted(unknown)[0]!r}: no such target")
    run = run_id or datetime.now(UTC).strftime("run-%Y%m%d-%H%M%S-") + os.urandom(2).hex()
    options = ReplayOptions(
        run=run,
        pacing=pacing,
        concurrency=concurrency,
        correlate=correlate,
        headers=overrides,
        max_body=settings.capture.max_body,
        sessions_by=check_sessions_by(sessions) if sessions else None,
    )
    plan = ReplayPlan(options, tuple(sources or ()), _format(format), filter, timeout)
    with _reading(sources or []) as on_bytes:
        summary, tally = run_replay(settings, plan, on_bytes=on_bytes, workers=workers)
    if tally.skipped:
        out.print(f"recorded entries skipped: {tally.skipped}")
        for reason in tally.reasons:
            out.print(f"   skipped {escape(reason)}")
    for line in replay_lines(summary):
        out.print(escape(line))
    if summary.sent and not summary.answered["legacy"]:
        # Nothing to compare with: say so in the exit code, not only in the counts.
        raise CheckFailed(
            f"the legacy answered none of {summary.sent} request(s): is it up at "
            f"{settings.targets['legacy']}?"
        )


def _format(text: str | None) -> Format | None:
    from twinsight.replay.formats import FORMATS

    if text is not None and text not in FORMATS:
        raise UserError(f"--format {text!r}: expected one of {', '.join(FORMATS)}")
    return text


@contextmanager
def _reading(files: list[Path]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the bytes of `files` when stderr is a terminal."""
    sizes = [f.stat().st_size for f in files if f.is_file()]
    if not err.is_terminal or not sizes:
        yield None
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("reading", total=sum(sizes))
        yield lambda count: progress.advance(task, count)


# ---------------------------------------------------------------- example

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file \\[default: a fresh one in memory].")
]


@example_app.command("legacy")
def example_legacy(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = 8081,
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
) -> None:
    """Run the legacy Task Management service (aiohttp + SQLite, integer ids).

    Example: twinsight example legacy --port 8081 --db legacy.sqlite
    """
    from twinsight.examples.tasks.legacy.app import make_app
    from twinsight.examples.tasks.serve import serve

    serve(lambda: make_app(str(db) if db else ":memory:"), "legacy", host, port)


@example_app.command("candidate")
def example_candidate(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = 8082,
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
) -> None:
    """Run the candidate rewrite (JSON storage, UUID ids, deliberate divergences).

    Example: twinsight example candidate --port 8082 --db candidate.json
    """
    from twinsight.examples.tasks.candidate.app import make_app
    from twinsight.examples.tasks.serve import serve

    serve(lambda: make_app(str(db) if db else None), "candidate", host, port)


@example_app.command("token")
def example_token(
    user: Annotated[str, typer.Option("--user", help="The token's subject.")] = "alice",
) -> None:
    """Print a JWT both example services accept.

    Example: curl -H "Authorization: Bearer $(twinsight example token)" localhost:8081/tasks
    """
    from twinsight.examples.tasks.auth import make_token

    sys.stdout.write(make_token(user) + "\n")


@example_app.command("files")
def example_files() -> None:
    """Print the folder holding spec.yaml, spec-plain.yaml and DIVERGENCES.md.

    Example: twinsight spec check "$(twinsight example files)/spec.yaml"
    """
    from twinsight.examples.tasks import files

    sys.stdout.write(f"{files()}\n")


# ---------------------------------------------------------------- demo


@app.command("demo")
def demo() -> None:
    """Run the bundled example end to end with whatever stages exist so far.

    Example: twinsight demo
    """
    from twinsight.demo import run_demo

    run_demo(out)


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run a command and map errors to exit codes."""
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    try:
        # Standalone mode lets typer report usage errors itself (exit 2).
        command.main(args, prog_name="twinsight")
    except TwinsightError as exc:
        if "--debug" in args:
            traceback.print_exc()
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except Exception as exc:
        from twinsight.store import unreadable_store

        damaged = unreadable_store(exc)
        if damaged is not None and "--debug" not in args:
            err.print(f"[red]error:[/] {escape(str(damaged))}")
            sys.exit(damaged.exit_code)
        traceback.print_exc()
        err.print("[red]internal error:[/] a bug in twinsight; please report it with the traceback")
        sys.exit(3)
