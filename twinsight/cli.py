"""The `twinsight` command line: wiring only, each command builds settings and calls the library.

Exit codes: 0 success, 1 a check failed, 2 a usage or input error (one line, no
traceback unless --debug).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from twinsight import __version__
from twinsight.config import load_config
from twinsight.errors import CheckFailed, SpecError, TwinsightError
from twinsight.spec import SpecCoverage, load_spec, spec_coverage, spec_markdown

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
    typer.Option("--config", help="Config file [default: ./twinsight.toml if present]"),
]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="DuckDB store file [default: from the config].")
]
SegmentsOption = Annotated[
    Path | None,
    typer.Option("--segments", help="Folder of Parquet segments [default: from the config]."),
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
        store, segments = settings.store.path, settings.store.segments
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


def _print_counts(title: str, counts: dict[str, int]) -> None:
    if counts:
        out.print(f"{title}: " + ", ".join(f"{escape(k)} {v}" for k, v in counts.items()))


# ---------------------------------------------------------------- example

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file [default: a fresh one in memory].")
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
    except Exception:
        traceback.print_exc()
        err.print("[red]internal error:[/] a bug in twinsight; please report it with the traceback")
        sys.exit(3)
