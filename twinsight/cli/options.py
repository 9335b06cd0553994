"""Options several commands share, declared once, and the settings they build."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from twinsight.config import Config, load_config
from twinsight.errors import StoreError, UserError

__all__ = [
    "CandidateOption",
    "ConfigOption",
    "FormatOption",
    "LegacyOption",
    "ReplicaOption",
    "SegmentsOption",
    "SpecOption",
    "StoreOption",
    "TargetOption",
    "TimeoutOption",
    "parse_duration",
    "quiet",
    "read_locations",
    "write_settings",
]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")


def parse_duration(flag: str, text: str) -> float:
    """Seconds in "90", "90s", "10m" or "1h", given to `flag`; a UserError naming it else."""
    found = _DURATION.match(text)
    if found is None:
        raise UserError(f"{flag} {text!r}: write a duration like 90s, 10m or 1h")
    unit = {"s": 1, "m": 60, "h": 3600}[found[2] or "s"]
    return float(found[1]) * unit


def quiet(name: str, help: str, **more: Any) -> Any:
    """An option whose default says nothing worth showing (none, or empty): `--help` omits it."""
    return typer.Option(name, help=help, show_default=False, **more)


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file \\[default: ./twinsight.toml if present]"),
]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="DuckDB store file \\[default: from the config].")
]


def segments_location(text: str) -> Path:
    """A --segments value: a folder, or an s3://bucket/prefix URL (kept as a Path, which
    folds its // into /: `ObjectLocation.of` reads it back)."""
    scheme, found, _ = text.partition("://")
    if found and scheme.lower() != "s3":
        raise typer.BadParameter(f"{text!r}: give a folder or an s3://BUCKET/PREFIX URL")
    if found:  # checked here: the Path folds s3:///x into s3:/x, a bucket named x
        from twinsight.store.objects import ObjectLocation

        try:
            ObjectLocation.of(text)
        except StoreError as error:
            raise typer.BadParameter(str(error)) from None
    return Path(text)


SegmentsOption = Annotated[
    Path | None,
    typer.Option(
        "--segments",
        parser=segments_location,
        metavar="<dir|url>",
        help="Folder (or s3:// URL) of Parquet segments \\[default: from the config].",
    ),
]
CandidateOption = Annotated[str | None, typer.Option("--candidate", help="The candidate's URL.")]
LegacyOption = Annotated[str | None, typer.Option("--legacy", help="The legacy's URL.")]
SpecOption = Annotated[
    Path | None, typer.Option("--spec", help="Spec file \\[default: from the config].")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.001, help="Per target (s).")]
ReplicaOption = Annotated[str | None, typer.Option("--replica", help="A second legacy (noise).")]
TargetOption = Annotated[
    list[str] | None,
    quiet("--target", "Another target to mirror to, NAME=URL (repeatable)."),
]
FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="har, mitm, goreplay or store \\[default: from the file]."),
]


def read_locations(
    settings: Config, store: Path | None, segments: Path | None
) -> tuple[Path | None, Path | None]:
    """The store read: the one the flags name, else the config's. Segments in object
    storage are copied into a local folder first (only what is new since the last copy),
    whose analysis file goes back to the store whenever a command writes it."""
    if store is None and segments is None:
        store, segments = settings.store.locations()
    return store, _local_segments(segments)


def _local_segments(segments: Path | None) -> Path | None:
    """`segments`, or for an s3:// URL the local copy of what it holds."""
    from twinsight.store.objects import ObjectLocation, pull

    location = ObjectLocation.of(segments)
    return segments if location is None else pull(location)


def write_settings(
    config: Path | None,
    targets: Mapping[str, str | None],
    extra: list[str] | None,
    store: Path | None,
    segments: Path | None,
    capture: Mapping[str, object] | None = None,
) -> Config:
    """The config file's settings with the target, store and capture flags applied."""
    from twinsight.replay.plan import with_store, with_targets

    settings = with_targets(load_config(config), targets, extra, capture)
    return with_store(settings, store, segments)
