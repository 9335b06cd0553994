"""The root command, its sub-commands, and the one place errors become exit codes."""

from __future__ import annotations

import sys
import traceback
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from twinsight.cli.accept import accept_command
from twinsight.cli.analyze import analyze
from twinsight.cli.capture import mitm_addon, proxy, sink
from twinsight.cli.config import config_app
from twinsight.cli.console import err, out
from twinsight.cli.demo import demo
from twinsight.cli.example import example_app
from twinsight.cli.explore import explore_command
from twinsight.cli.helpwidth import fold_option_names
from twinsight.cli.imports import import_command
from twinsight.cli.load import load_command
from twinsight.cli.propose import propose_command
from twinsight.cli.ready import ready
from twinsight.cli.replay import replay_command
from twinsight.cli.report import report_command
from twinsight.cli.spec import spec_app
from twinsight.cli.store import store_app
from twinsight.errors import TwinsightError

__all__ = ["EXIT_BUG", "app", "main"]

EXIT_BUG = 3
"""Exit code of an error twinsight did not raise on purpose: a bug, reported with its traceback."""

fold_option_names()
app = typer.Typer(
    name="twinsight",
    help="Shadow-traffic differential verifier for parallel-run migrations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


class _Run:
    """What the root options decided for this run (`--debug`), for `main` to read."""

    debug = False


def _version(value: bool) -> None:
    if value:
        # With its code's label, as a Dask cluster names a worker's twinsight.
        from twinsight.analysis.installed import running_version

        out.print(f"twinsight {running_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Shadow-traffic differential verifier for parallel-run migrations."""
    _Run.debug = debug


app.add_typer(spec_app, name="spec")
app.add_typer(store_app, name="store")
app.add_typer(example_app, name="example")
app.add_typer(config_app, name="config")
app.command("proxy")(proxy)
app.command("sink")(sink)
app.command("mitm-addon")(mitm_addon)
app.command("analyze")(analyze)
app.command("import")(import_command)
app.command("replay")(replay_command)
app.command("load")(load_command)
app.command("demo")(demo)
app.command("ready")(ready)
app.command("report")(report_command)
app.command("accept")(accept_command)
app.command("propose")(propose_command)
app.command("explore")(explore_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run a command and map errors to exit codes."""
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    _Run.debug = False
    try:
        # Standalone mode lets typer report usage errors itself (exit 2).
        command.main(args, prog_name="twinsight")
    except TwinsightError as exc:
        _fail(exc)
    except Exception as exc:
        from twinsight.store import unreadable_store

        damaged = unreadable_store(exc)
        if damaged is not None and not _Run.debug:
            _fail(damaged)
        traceback.print_exc()
        err.print("[red]internal error:[/] a bug in twinsight; please report it with the traceback")
        sys.exit(EXIT_BUG)


def _fail(error: TwinsightError) -> NoReturn:
    """One line on stderr (with the traceback under --debug), and the error's exit code."""
    if _Run.debug:
        traceback.print_exc()
    err.print(f"[red]error:[/] {escape(str(error))}")
    sys.exit(error.exit_code)
