"""`twinsight ready`: the cutover verdict, as a table and an exit code a CI job acts on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from twinsight.cli.console import err, out, passes, show
from twinsight.cli.options import (
    ConfigOption,
    SegmentsOption,
    SpecOption,
    StoreOption,
    parse_duration,
    quiet,
    read_locations,
)
from twinsight.config import load_config
from twinsight.errors import CheckFailed, Inconclusive, UserError
from twinsight.spec import load_spec

if TYPE_CHECKING:
    from twinsight.events import ReadinessVerdict

__all__ = ["POLL_S", "ready"]

TABLE_WIDTH = 140
POLL_S = 10.0
"""How often `--wait` looks for new traffic: often enough for CI, rare enough to be cheap."""

JunitOption = Annotated[
    Path | None, quiet("--junit", "Also write each rule as a JUnit test case to FILE.")
]
JsonOption = Annotated[Path | None, quiet("--json", "Also write the verdict as JSON to FILE.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the verdict and exit 0 whatever it is.")
]
WaitOption = Annotated[
    str | None,
    quiet(
        "--wait",
        "Re-evaluate as new traffic is stored until the verdict is not INCONCLUSIVE, for "
        "at most DURATION after the first look (90s, 10m, 1h); a store not there yet or "
        "locked counts as INCONCLUSIVE meanwhile (a live capture: read its --segments).",
    ),
]
CandidateNameOption = Annotated[
    str | None, quiet("--candidate", "The candidate judged \\[default: the only one].")
]


def ready(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    spec: SpecOption = None,
    config: ConfigOption = None,
    junit: JunitOption = None,
    json_out: JsonOption = None,
    dry_run: DryRunOption = False,
    wait: WaitOption = None,
    candidate: CandidateNameOption = None,
) -> None:
    """Is the candidate ready for cutover? Analyze what is new, judge every readiness rule.

    Exit 0 READY, 1 NOT READY, 4 INCONCLUSIVE (not enough evidence yet: each rule says
    about how many more exchanges would settle it). Example:
    twinsight ready --store run.duckdb --spec spec.yaml --junit ready.xml
    """
    from twinsight.analysis.progress import telling
    from twinsight.analysis.readiness_service import assess_store

    settings = load_config(config)
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None

    def judge() -> ReadinessVerdict:
        # Each look reads the store again: segments in object storage are copied anew.
        path, folder = read_locations(settings, store, segments)
        with passes() as on_progress, telling(on_progress):
            return assess_store(path, folder, config=settings, spec=loaded, candidate=candidate)

    verdict = _waiting(judge, parse_duration("--wait", wait)) if wait else judge()
    _show(verdict, junit, json_out)
    if not dry_run:
        _exit(verdict)


def _waiting(judge: Callable[[], ReadinessVerdict], seconds: float) -> ReadinessVerdict:
    """`judge` again every POLL_S while INCONCLUSIVE, for at most `seconds` after the first look.

    The time counts from the first answer: an analysis slower than the wait must not use it up
    before anything was waited for. A parallel run may not have stored anything yet (no
    folder, no candidate), or hold its DuckDB file locked: meanwhile that is no evidence
    yet, INCONCLUSIVE at the deadline.
    """
    deadline: float | None = None
    while True:
        verdict, why = _look(judge)
        deadline = deadline or time.monotonic() + seconds
        left = deadline - time.monotonic()
        if verdict is not None and (verdict.status != "INCONCLUSIVE" or left <= 0):
            return verdict
        if left <= 0:
            raise Inconclusive(why)
        err.print(f"INCONCLUSIVE: {why}; looking again in {min(POLL_S, left):.0f}s")
        time.sleep(min(POLL_S, left))


def _look(judge: Callable[[], ReadinessVerdict]) -> tuple[ReadinessVerdict | None, str]:
    """The verdict and its reason, or None and why there is none yet."""
    try:
        verdict = judge()
    except UserError as error:
        return None, f"no verdict yet: {error}"
    return verdict, verdict.reason


def _show(verdict: ReadinessVerdict, junit: Path | None, json_out: Path | None) -> None:
    from twinsight.report.junit import write_junit
    from twinsight.report.verdict import verdict_lines, verdict_table
    from twinsight.report.verdictjson import write_verdict_json

    # Wide enough that a CI log keeps each rule on one line; a terminal wider still uses it.
    width = out.width
    out.width = max(width, TABLE_WIDTH)
    try:
        out.print(verdict_table(verdict))
    finally:
        out.width = width
    show(out, verdict_lines(verdict))
    if junit is not None:
        write_junit(verdict, junit)
    if json_out is not None:
        write_verdict_json(verdict, json_out)


def _exit(verdict: ReadinessVerdict) -> None:
    """The verdict as an error whose exit code `cli/app.py` maps: 1 NOT READY, 4 INCONCLUSIVE."""
    if verdict.status == "NOT READY":
        raise CheckFailed(f"not ready: {verdict.reason}")
    if verdict.status == "INCONCLUSIVE":
        raise Inconclusive(f"inconclusive: {verdict.reason}")
