"""`twinsight report`: the readiness verdict and the evidence behind it, as HTML, Markdown, JSON."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from twinsight.cli.console import described, err, out
from twinsight.cli.options import (
    ConfigOption,
    SegmentsOption,
    SpecOption,
    StoreOption,
    read_locations,
)
from twinsight.config import load_config
from twinsight.errors import UserError
from twinsight.spec import load_spec

__all__ = ["DEFAULT_OUT", "report_command"]

DEFAULT_OUT = Path("reports") / "report"
OutOption = Annotated[
    Path,
    typer.Option("--out", help="Where to write: NAME gets .html, .md, .json added."),
]
FormatsOption = Annotated[str, typer.Option("--format", help="Comma-separated: html, md, json.")]
CandidateOption = Annotated[
    str | None,
    typer.Option("--candidate", help="The target judged \\[default: the first candidate]."),
]


def report_command(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    spec: SpecOption = None,
    config: ConfigOption = None,
    out_path: OutOption = DEFAULT_OUT,
    formats: FormatsOption = "html,md,json",
    candidate: CandidateOption = None,
) -> None:
    """Analyze what is new, decide readiness, and write the report; prints the paths written.

    One offline HTML file, Markdown for a pull request, JSON for machines.

    Example: twinsight report --store run.duckdb --spec spec.yaml --out reports/run
    """
    from twinsight.analysis.progress import telling
    from twinsight.analysis.readiness_service import assess_store
    from twinsight.report.files import parse_formats, write_report
    from twinsight.report.gather import gather_report

    try:
        wanted = parse_formats(formats)
    except ValueError as error:
        raise UserError(str(error)) from None
    settings = load_config(config)
    store, segments = read_locations(settings, store, segments)
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None
    with _steps() as step:
        step("analyzing new exchanges and deciding readiness")
        with telling(described(step, "analyzing new exchanges")):
            verdict = assess_store(
                store, segments, config=settings, spec=loaded, candidate=candidate
            )
        step("reading clusters, examples, latency and coverage")
        report = gather_report(
            store, segments, verdict=verdict, config=settings, spec=loaded, command=_command()
        )
        written = write_report(report, out_path, wanted, step=step)
    out.print(f"[bold]{escape(verdict.status)}[/] {escape(verdict.reason)}")
    for path in written:
        out.print(f"wrote {escape(str(path))}")


def _command() -> str:
    """The command line as typed, for the report's banner."""
    return shlex.join(["twinsight", *sys.argv[1:]])


@contextmanager
def _steps() -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step, on stderr when it is a terminal."""
    if not err.is_terminal:
        yield lambda _: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda text: progress.update(task, description=text)
