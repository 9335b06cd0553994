"""`twinsight explore`: requests generated from the spec sent to both targets, recorded and
judged by analysis; each divergence found is printed shrunk, as numbered steps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from twinsight.cli.console import err, out, show_text
from twinsight.cli.options import (
    CandidateOption,
    ConfigOption,
    LegacyOption,
    SpecOption,
    StoreOption,
    TimeoutOption,
    quiet,
    write_settings,
)
from twinsight.config import store_writer
from twinsight.errors import UserError

if TYPE_CHECKING:
    from twinsight.config import Config
    from twinsight.explore import Classify, Driver, Explored, Finding, Limits, Progress, Reset
    from twinsight.spec import Spec

__all__ = ["analysis_classifier", "explore_command"]

ExamplesOption = Annotated[
    int,
    typer.Option("--max-examples", min=1, help="Examples per operation, and sequences."),
]
SeedOption = Annotated[int, typer.Option("--seed", help="The same seed, the same run.")]
BudgetOption = Annotated[
    float,
    typer.Option(
        "--time-budget",
        min=1.0,
        help="Seconds of generated examples (sequences: half); declared properties run first.",
    ),
]
HeaderOption = Annotated[
    list[str] | None, quiet("--header", "'Name: value' sent to both targets (repeatable).")
]


def explore_command(
    spec: SpecOption = None,
    legacy: LegacyOption = None,
    candidate: CandidateOption = None,
    store: StoreOption = None,
    max_examples: ExamplesOption = 100,
    seed: SeedOption = 0,
    time_budget: BudgetOption = 120.0,
    header: HeaderOption = None,
    timeout: TimeoutOption = 10.0,
    config: ConfigOption = None,
) -> None:
    """Send requests made from the spec to both targets; print each divergence, shrunk.

    Requests are generated from the spec's inputs, and random sequences of its
    operations; each divergence is shrunk to its smallest example, shown as numbered
    steps with the two answers.

    Every request is recorded in the store (source explore) for analyze,
    propose and ready; hypothesis keeps its examples in STORE.hypothesis.

    Example: twinsight explore --spec spec.yaml --legacy http://127.0.0.1:8081
    --candidate http://127.0.0.1:8082 --header "Authorization: Bearer $TOKEN"
    """
    from twinsight.explore import Driver, Limits, Reset
    from twinsight.explore.render import property_lines
    from twinsight.spec import load_spec

    settings = write_settings(config, {"legacy": legacy, "candidate": candidate}, None, store, None)
    spec_file = spec or settings.spec
    if spec_file is None:
        raise UserError("explore needs a spec: pass --spec FILE")
    loaded = load_spec(spec_file)
    urls = _urls(settings.targets)
    path, segments = settings.store.locations()
    where = path or segments
    database = where.with_name(where.name + ".hypothesis") if where else None
    limits = Limits(max_examples=max_examples, seconds=time_budget, seed=seed, database=database)
    writer = store_writer(settings) if where else None
    classify = analysis_classifier(settings, loaded)
    reset = Reset.of(settings.explore.reset, settings.explore.reset_command)
    try:
        with Driver(
            urls, classify, headers=_headers(header), writer=writer, timeout=timeout, reset=reset
        ) as driver:
            result = _explore(loaded, driver, limits, spec_file)
    finally:
        if writer is not None:
            writer.close()
    show_text(out, [*property_lines(result.properties), _summary(result, where, reset)])


def _summary(result: Explored, where: Path | None, reset: Reset | None) -> str:
    """What the run did, in one line: divergences, properties broken, examples, requests,
    how targets were reset, what the time budget cut, where it was recorded."""
    kept = sum(1 for c in result.properties if c.classification == "match")
    unchecked = sum(1 for c in result.properties if c.classification == "not_checked")
    props = (
        f"; {kept} of {len(result.properties)} declared propert(ies) kept by both"
        f" ({unchecked} not checked)"
        if result.properties
        else ""
    )
    stopped = ", stopped by --time-budget" if result.out_of_time else ""
    if result.unexplored:
        stopped += f" before exploring {', '.join(result.unexplored)}"
    how = f"reset by {reset.describe()}" if reset else "no reset declared: each example cleans up"
    recorded = f", recorded in {where}" if where else " (not recorded: pass --store)"
    return (
        f"{len(result.findings)} divergence(s) in {result.examples} example(s) over "
        f"{len(result.operations)} operation(s){props}; {result.sent} request(s) sent to "
        f"each target ({how}){stopped}{recorded}"
    )


def _explore(spec: Spec, driver: Driver, limits: Limits, spec_file: Path) -> Explored:
    """The exploration, with a live status line; each finding printed as it is found."""
    from twinsight.explore import NothingToExplore, explore, finding_lines

    found: list[str] = []

    def shown(finding: Finding) -> None:
        found.append(finding.operation)
        show_text(out, [*finding_lines(len(found), finding), ""])

    with err.status("exploring") as status:
        try:
            return explore(
                spec,
                driver,
                limits,
                on_progress=lambda p: status.update(_status(p)),
                on_finding=shown,
            )
        except NothingToExplore as exc:
            raise UserError(f"{spec_file}: {exc}") from None


def _status(progress: Progress) -> str:
    if not progress.deadline:  # declared properties: before the time budget starts
        return f"trying {progress.phase}"
    return (
        f"exploring {progress.phase}: {progress.examples} example(s), "
        f"{progress.divergences} divergence(s), {progress.left:.0f} s left"
    )


def _urls(targets: Mapping[str, object]) -> tuple[str, str]:
    missing = [name for name in ("legacy", "candidate") if not targets.get(name)]
    if missing:
        raise UserError(f"explore needs --{missing[0]} URL (or targets.{missing[0]} in the config)")
    return str(targets["legacy"]).rstrip("/"), str(targets["candidate"]).rstrip("/")


def _headers(given: list[str] | None) -> list[tuple[str, str]]:
    from twinsight.replay.outgoing import parse_header

    found = []
    for text in given or []:
        try:
            found.append(parse_header(text))
        except ValueError as exc:
            raise UserError(f"--header: {exc}") from None
    return found


def analysis_classifier(settings: Config, spec: Spec) -> Classify:
    """Analysis's judge over two live answers: the classification and its reason."""
    from dataclasses import replace

    from twinsight.analysis.diff import Message
    from twinsight.analysis.judge import Judge
    from twinsight.analysis.load import rules_from
    from twinsight.analysis.proposals.reproduce import message_of
    from twinsight.explore import Step, Verdict
    from twinsight.records import Headers, Response
    from twinsight.spec.inputs import RequestView

    judge = Judge(spec=spec, rules=rules_from(settings.normalize, spec))

    def _message(response: Response) -> Message:
        # When each was sent: analysis infers a time stamped by either from it.
        sent = response.sent_at.timestamp() if response.sent_at else None
        return replace(message_of(response), sent_at=sent)

    def classify(step: Step, headers: Headers, legacy: Response, candidate: Response) -> Verdict:
        request = RequestView.of(step.method, step.path, step.query, headers, step.payload)
        verdict = judge.judge(request, _message(legacy), _message(candidate)).verdict
        return Verdict(verdict.classification, verdict.reason)

    return classify
