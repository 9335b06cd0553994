"""`twinsight spec check` and `twinsight spec show`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from twinsight.cli.console import err, out, show
from twinsight.errors import CheckFailed, SpecError, UserError
from twinsight.report.spec import coverage_lines
from twinsight.spec import load_spec, spec_coverage, spec_markdown
from twinsight.spec.celvars import vars_text

__all__ = ["spec_app"]

spec_app = typer.Typer(help="Check and show scenario specs.", no_args_is_help=True)


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
