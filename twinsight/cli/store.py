"""`twinsight store info`, `twinsight store check` and `twinsight store credentials`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twinsight.cli.console import out, show, show_text
from twinsight.cli.options import ConfigOption, SegmentsOption, StoreOption, read_locations
from twinsight.config import Config, load_config
from twinsight.errors import CheckFailed
from twinsight.report.store import store_check_lines, store_info_lines

__all__ = ["store_app"]

store_app = typer.Typer(help="Inspect the exchange store.", no_args_is_help=True)


@store_app.command("info")
def store_info_command(
    store: StoreOption = None, segments: SegmentsOption = None, config: ConfigOption = None
) -> None:
    """Count what a store holds: per source, target and endpoint, time span, size.

    Example: twinsight store info --store twinsight.duckdb --segments segments/
    """
    from twinsight.store import Store

    store, segments = read_locations(load_config(config), store, segments)
    with Store.open(store, segments) as opened:
        show(out, store_info_lines(opened.info()))


@store_app.command("check")
def store_check_command(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Remove extra copies and key the tables (a DuckDB file)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Find duplicates, orphans and unkeyed tables; exit 1 when any is left.

    Example: twinsight store check --store run.duckdb --repair
    """
    from twinsight.store import check_store

    store, segments, shown = _checked_locations(load_config(config), store, segments)
    report = check_store(store, segments, repair=repair, shown=shown)
    show(out, store_check_lines(report))
    if report.problems:
        hint = "" if repair or store is None else " (--repair removes duplicates)"
        raise CheckFailed(f"{report.where}: {len(report.problems)} problem(s){hint}")


def _checked_locations(
    settings: Config, store: Path | None, segments: Path | None
) -> tuple[Path | None, Path | None, str | None]:
    """The store file checked, else the segment folder (a local copy of an s3:// URL's
    segments), and the URL the copy is of, which every message names instead of it."""
    from twinsight.store.objects import ObjectLocation, pull

    if store is None and segments is None:
        store, segments = settings.store.locations()
    if store is not None:
        return store, None, None
    location = ObjectLocation.of(segments)
    if location is None:
        return None, segments, None
    return None, pull(location), location.url


@store_app.command("credentials")
def store_credentials_command(
    store: StoreOption = None,
    segments: SegmentsOption = None,
    template: Annotated[
        bool,
        typer.Option("--template", help="Print a credentials file (TOML) to fill instead."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """List the redacted tokens recorded requests carry: where, how often, first use.

    Example: twinsight store credentials --store recorded.duckdb --template > credentials.toml
    """
    from twinsight.replay.template import credentials_template, token_lines
    from twinsight.store.tokens import token_uses

    store, segments = read_locations(load_config(config), store, segments)
    uses = token_uses(store, segments)
    if template:
        out.print(credentials_template(uses), end="", markup=False, highlight=False)
    else:
        show_text(out, token_lines(uses))
