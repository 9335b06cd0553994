"""`twinsight propose`: a scenario for each cluster nobody specified, written for review."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from twinsight.cli.console import described, err, out, write_file
from twinsight.cli.options import (
    ConfigOption,
    SegmentsOption,
    SpecOption,
    StoreOption,
    quiet,
    read_locations,
)
from twinsight.cli.replay import HeaderForOption, HeaderOption
from twinsight.config import load_config
from twinsight.errors import UserError

if TYPE_CHECKING:
    from twinsight.analysis.proposals import Proposal
    from twinsight.analysis.proposals.service import ProposalRun
from twinsight.spec import load_spec

__all__ = ["propose_command"]

OutOption = Annotated[
    Path, typer.Option("--out", help="Where to write the proposals ('-': standard output).")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")]
JudgedOption = Annotated[
    str | None, quiet("--target", "The candidate judged \\[default: the only candidate].")
]
MinimizeOption = Annotated[
    bool, typer.Option("--minimize", help="Shrink each example against the live targets.")
]
LegacyUrl = Annotated[str | None, quiet("--legacy", "The legacy's URL (with --minimize).")]
CandidateUrl = Annotated[str | None, quiet("--candidate", "The candidate's URL (with --minimize).")]
WritesOption = Annotated[
    bool,
    typer.Option("--minimize-writes", help="Also shrink writes (each variant sent once)."),
]
StepsOption = Annotated[
    int, typer.Option("--max-steps", min=1, help="Requests tried per cluster, at most.")
]
SecondsOption = Annotated[
    float, typer.Option("--max-seconds", min=0.1, help="Time per cluster, at most (s).")
]


def propose_command(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    spec: SpecOption = None,
    config: ConfigOption = None,
    out_path: OutOption = Path("proposals.yaml"),
    force: ForceOption = False,
    target: JudgedOption = None,
    minimize: MinimizeOption = False,
    legacy: LegacyUrl = None,
    candidate: CandidateUrl = None,
    minimize_writes: WritesOption = False,
    header: HeaderOption = None,
    header_for: HeaderForOption = None,
    max_steps: StepsOption = 200,
    max_seconds: SecondsOption = 60.0,
) -> None:
    """Propose a scenario pinning the legacy's behaviour for each cluster no scenario covers.

    In the spec's own format, with the evidence above each; with --minimize, each example
    request is shrunk against the live targets first.

    Example: twinsight propose --store run.duckdb --spec spec.yaml --out proposals.yaml
    --minimize --legacy http://127.0.0.1:8081 --candidate http://127.0.0.1:8082
    """
    from twinsight.analysis.progress import telling
    from twinsight.analysis.proposals.service import proposal_file, store_proposals

    if str(out_path) != "-" and out_path.exists() and not force:
        raise UserError(f"{out_path}: already exists (pass --force to overwrite it)")
    urls = {"legacy": legacy, "candidate": candidate}
    if minimize and not all(urls.values()):
        raise UserError("--minimize needs the live targets: --legacy URL --candidate URL")
    settings = load_config(config)
    store, segments = read_locations(settings, store, segments)
    spec_file = spec or settings.spec
    loaded = load_spec(spec_file) if spec_file else None
    doing = "analysing and reading the clusters' examples"
    with err.status(doing) as status, telling(described(status.update, "proposing")):
        run = store_proposals(store, segments, config=settings, spec=loaded, candidate=target)
    if minimize:
        run.proposals = _minimized(
            run.proposals, urls, header, header_for, minimize_writes, max_steps, max_seconds
        )
    feature = loaded.feature if loaded else (store or segments or Path("store")).stem
    _write(proposal_file(run, feature), out_path, run)


def _write(text: str, out_path: Path, run: ProposalRun) -> None:
    """The proposal file to `out_path` ('-': standard output), and what it holds in words
    (on standard error when the file goes to standard output)."""
    to_stdout = str(out_path) == "-"
    if to_stdout:
        sys.stdout.write(text)
    else:
        write_file(out_path, text, "the proposals")
    console = err if to_stdout else out
    where = "standard output" if to_stdout else str(out_path)
    console.print(
        f"{len(run.proposals)} proposal(s) from {run.clusters} cluster(s) of real differences "
        f"written to {escape(where)}; {len(run.skipped)} skipped, "
        f"{run.noise} cluster(s) of inferred noise not proposed"
    )
    for skipped in run.skipped:
        console.print(f"  skipped {skipped.fingerprint}: {escape(skipped.reason)}")


def _minimized(
    proposals: list[Proposal],
    urls: dict[str, str | None],
    header: list[str] | None,
    header_for: list[str] | None,
    writes: bool,
    max_steps: int,
    max_seconds: float,
) -> list[Proposal]:
    """Each proposal with its example shrunk against the live targets; prints each
    reproducer's copy-as-curl per target."""
    from twinsight.cli.reproducers import Limits, Reproduced, minimize_proposals
    from twinsight.replay.plan import header_overrides

    live = {name: url for name, url in urls.items() if url}
    overrides = header_overrides(header or (), header_for or (), live)
    limits = Limits(max_steps=max_steps, max_seconds=max_seconds, allow_writes=writes)

    def done(found: Reproduced) -> None:
        outcome = found.outcome
        what = found.note if outcome is None else outcome.reason
        err.print(f"{found.proposal.fingerprint}: {escape(what)}")
        if outcome is not None and outcome.reproduced:
            for name, curl in found.curls.items():
                err.print(f"  {name}: {escape(curl)}", soft_wrap=True)

    with err.status(f"minimizing {len(proposals)} example(s) against the live targets"):
        found = minimize_proposals(proposals, live, overrides, limits, done)
    return [f.proposal for f in found]
