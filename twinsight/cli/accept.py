"""`twinsight accept`: triage a cluster in one command, into the spec or the config."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from twinsight.cli.options import ConfigOption, SegmentsOption, StoreOption
from twinsight.errors import UserError

__all__ = ["Outcome", "accept_command"]


class Outcome(StrEnum):
    """What a cluster is taken to be."""

    scenario = "scenario"
    accepted = "accepted"
    noise = "noise"


ClustersArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Cluster fingerprints or unique prefixes (twinsight analyze lists them).",
        show_default=False,
    ),
]
AllOption = Annotated[
    bool, typer.Option("--all", help="Every cluster whose exchanges are still unexplained.")
]
AsOption = Annotated[
    Outcome,
    typer.Option(
        "--as",
        help="scenario: merge the cluster's proposed scenario into the spec; accepted: an "
        "intended change (the spec's accepted); noise: a \\[\\[normalize]] rule in the config.",
        show_default=False,
    ),
]
WhyOption = Annotated[
    str, typer.Option("--why", help="Why: recorded with who and when.", show_default=False)
]
IntoOption = Annotated[
    Path | None,
    typer.Option("--into", help="Spec file to change \\[default: the config's spec]."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the change as a diff; write nothing.")
]


def accept_command(
    as_: AsOption,
    why: WhyOption,
    clusters: ClustersArgument = None,
    every: AllOption = False,
    into: IntoOption = None,
    store: StoreOption = None,
    segments: SegmentsOption = None,
    config: ConfigOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Take clusters of the last analysis as a scenario, an accepted difference or noise.

    The spec (scenario, accepted) or the config (noise) keeps its comments and layout.
    The change is printed as a diff and records who, why and when.
    Example: twinsight accept c1-3f2a --as accepted --why "monitors ignore new fields"
    """
    if not why.strip():
        raise UserError("--why: say why (it is recorded with the change)")
    if into is not None and as_ is Outcome.noise:
        raise UserError("--into names a spec: noise goes to the config (--config FILE)")
    from twinsight.cli.accept_edits import accept

    accept(as_, why, clusters or [], every, into, (store, segments, config), dry_run)
