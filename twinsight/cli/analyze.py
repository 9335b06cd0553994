"""`twinsight analyze`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from twinsight.cli.console import err, out, passes, show
from twinsight.cli.options import (
    ConfigOption,
    SegmentsOption,
    SpecOption,
    StoreOption,
    read_locations,
)
from twinsight.config import load_config
from twinsight.report.jsonlines import JsonLines

__all__ = ["analyze"]

JsonOption = Annotated[
    Path | None,
    typer.Option("--json", help="Also write one JSON line per exchange to FILE ('-': stdout)."),
]
FullOption = Annotated[
    bool,
    typer.Option(
        "--full", help="Judge every exchange again, not only new ones; read every one's evidence."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="<n>",
        help="Processes that judge in parallel (default: one per CPU this process may use, "
        "within a container's CPU quota): only as many as get 10,000 exchanges each are "
        "started. --workers 1 judges in this process alone (least memory).",
    ),
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="<address>",
        help="Judge on a Dask cluster instead: local:N (N worker processes started here) or "
        "a scheduler's tcp://HOST:PORT, whose workers reach the store too (s3:// segments, "
        "or a path they all see). Not with --workers.",
        show_default=False,
    ),
]
DaskWaitOption = Annotated[
    str,
    typer.Option(
        "--dask-wait",
        metavar="<duration>",
        help="How long --dask waits for the scheduler to answer and for its first worker "
        "(90s, 10m): a cluster that starts its workers with the job needs longer.",
    ),
]


def analyze(
    ctx: typer.Context,
    store: StoreOption = None,
    segments: SegmentsOption = None,
    spec: SpecOption = None,
    json_out: JsonOption = None,
    full: FullOption = False,
    config: ConfigOption = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    dask_wait: DaskWaitOption = "10s",
) -> None:
    """Classify captured exchanges and write the differences and classifications tables.

    Only exchanges an earlier run did not classify are judged, unless the spec, the rules or
    the targets changed since (or --full). Example:
    twinsight analyze --store run.duckdb --spec spec.yaml --config twinsight.toml
    """
    from twinsight.analysis.service import analyze_store
    from twinsight.cli import analyze_dask as on_dask
    from twinsight.report.analysis import finding_lines, verdict_lines
    from twinsight.spec import load_spec

    settings = load_config(config)
    address = on_dask.dask_address(ctx, dask)
    waited = on_dask.dask_wait_seconds(dask_wait)
    url = on_dask.segments_url(settings, store, segments)
    store, segments = read_locations(settings, store, segments)
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None
    with (
        _json_lines(json_out) as on_judged,
        on_dask.dask_pool(address, url, wait=waited) as pool,
        passes(shown=address is None) as on_progress,  # a cluster's parts are shown apart
    ):
        analysis = analyze_store(
            store,
            segments,
            config=settings,
            spec=loaded,
            on_judged=on_judged,
            full=full,
            workers=workers if pool is None else None,  # the cluster's, not 1
            pool=pool,
            on_progress=on_progress,
        )
    report = err if str(json_out) == "-" else out  # stdout carries the JSON lines
    show(report, verdict_lines(analysis))
    show(report, finding_lines(analysis))


@contextmanager
def _json_lines(target: Path | None) -> Iterator[JsonLines | None]:
    """`analyze --json`: no JSON lines, or a writer of them to standard output ('-') or a file."""
    if target is None:
        yield None
    elif str(target) == "-":
        yield JsonLines(sys.stdout.buffer)
    else:
        with target.open("wb") as lines:
            yield JsonLines(lines)
