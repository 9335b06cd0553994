"""`twinsight import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twinsight.cli.console import out, reading, show_text
from twinsight.cli.options import (
    ConfigOption,
    FormatOption,
    SegmentsOption,
    StoreOption,
    write_settings,
)
from twinsight.report.terminal import import_lines

__all__ = ["import_command"]


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="HAR, mitmproxy flow or GoReplay files, or stores.")
    ],
    store: StoreOption = None,
    segments: SegmentsOption = None,
    format: FormatOption = None,
    config: ConfigOption = None,
) -> None:
    """Read recorded traffic into the store; the recorded answer becomes the legacy's.

    Example: twinsight import session.har flows.mitm requests.gor --store recorded.duckdb
    """
    from twinsight.replay.plan import check_format
    from twinsight.replay.service import import_captures

    settings = write_settings(config, {}, None, store, segments)
    with reading(files) as on_bytes:
        result = import_captures(settings, files, format=check_format(format), on_bytes=on_bytes)
    show_text(out, import_lines(result.tallies, result.stored, result.already_stored))
