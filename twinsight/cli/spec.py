"""`twinsight spec check` and `twinsight spec show`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from twinsight.cli.console import err, out, show, write_file
from twinsight.cli.options import ConfigOption, SegmentsOption, StoreOption, quiet, read_locations
from twinsight.config import load_config
from twinsight.errors import CheckFailed, SpecError, UserError
from twinsight.report.spec import coverage_lines
from twinsight.spec import dump_spec, load_spec, spec_coverage, spec_markdown
from twinsight.spec.celvars import vars_text
from twinsight.spec.edit import comment_lines

if TYPE_CHECKING:
    from twinsight.analysis.draftread import DraftRead

__all__ = ["spec_app"]

spec_app = typer.Typer(help="Check, show and draft scenario specs.", no_args_is_help=True)


@spec_app.command("check")
def spec_check(
    files: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
) -> None:
    """Validate spec files and summarise what a machine can check.

    Example: twinsight spec check "$(twinsight example files)/spec.yaml"
    """
    for file in files:
        if not file.exists():  # a missing input is a usage error, not an invalid spec
            raise UserError(f"{file}: no such file")
    failed = 0
    for file in files:
        try:
            spec = load_spec(file)
        except SpecError as exc:
            failed += 1
            for problem in exc.problems:
                err.print(escape(str(problem)))
            continue
        show(out, coverage_lines(str(file), spec_coverage(spec)))
    if failed:
        raise CheckFailed(f"{failed} of {len(files)} spec file(s) invalid")


@spec_app.command("show")
def spec_show(
    file: Annotated[Path | None, typer.Argument(help="A spec file.", show_default=False)] = None,
    show_vars: Annotated[
        bool,
        typer.Option(
            "--vars",
            help="Print what a check's CEL expressions see (variables, bodies, bindings).",
        ),
    ] = False,
) -> None:
    """Render a spec as Markdown for reviewers, or with --vars what checks can read.

    Example: twinsight spec show spec.yaml > spec.md; twinsight spec show --vars
    """
    if show_vars:
        sys.stdout.write(vars_text())
        return
    if file is None:
        raise UserError("spec show: give a spec file, or --vars")
    sys.stdout.write(spec_markdown(load_spec(file)))


@spec_app.command("new")
def spec_new(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    endpoints: Annotated[
        list[str] | None,
        quiet(
            "--endpoints",
            "Only endpoints matching PATTERN, a glob over 'METHOD /path' or '/path' (repeatable).",
            metavar="PATTERN",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        quiet("--out", "Write the draft to FILE instead of standard output.", metavar="FILE"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing --out file.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Draft a spec from the legacy's answers in a store, for a person to edit.

    One scenario per endpoint and status family the legacy answered;
    its checked lines say what stayed the same in every answer.
    Example: twinsight spec new --store run.duckdb --out spec.yaml
    """
    from twinsight.analysis.draftread import draft_from_store

    if out_file is not None and out_file.exists() and not force:
        raise UserError(f"{out_file}: already exists; pass --force to overwrite it")
    store, segments = read_locations(load_config(config), store, segments)
    if store is None and segments is None:
        raise UserError("spec new: give --store (or --segments), or a config naming one")
    for location in (store, segments):
        if location is not None and not location.exists():
            raise UserError(f"{location}: no such store")
    read = draft_from_store(store, segments, endpoints or ())
    if not read.draft.spec.scenarios:
        raise UserError("spec new: the legacy answered no request of the endpoints asked for")
    text = dump_spec(read.draft.spec, header=_draft_header(read, store or segments))
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_file(out_file, text, "the draft")
        err.print(escape(f"wrote {out_file}: {len(read.draft.spec.scenarios)} scenarios"))


def _draft_header(read: DraftRead, where: Path | None) -> str:
    name = where.name if where is not None else "the store"
    lines = [
        f"A draft from {read.draft.exchanges} exchanges of {name} by 'twinsight spec new'.",
        "Each checked line held on every answer of the legacy its scenario covers. Reword",
        "the lines, drop those that held by chance, add what the traffic cannot show, then",
        "run 'twinsight spec check' on this file.",
    ]
    if read.left_out:
        lines.append("Left out (their paths cannot be written as templates): ")
        lines += [f"  {endpoint}" for endpoint in read.left_out]
    return "\n".join(part for line in lines for part in comment_lines(line))
