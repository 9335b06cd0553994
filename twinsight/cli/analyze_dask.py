"""`twinsight analyze --dask`: the address read, the cluster opened, its parts' progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import Progress

from twinsight.analysis.cluster import DaskAddress, DaskPool, dask_client
from twinsight.cli.console import err
from twinsight.cli.options import parse_duration
from twinsight.config import Config
from twinsight.errors import UserError
from twinsight.store.objects import ObjectLocation

__all__ = ["dask_address", "dask_pool", "dask_wait_seconds", "segments_url"]


def dask_address(ctx: typer.Context, dask: str | None) -> DaskAddress | None:
    """`--dask`'s address, checked (not with `--workers`, whatever its count)."""
    if dask is None:
        return None
    given = ctx.get_parameter_source("workers")
    if given is not None and given.name != "DEFAULT":
        raise UserError("--dask and --workers: give one (the cluster's workers judge)")
    return DaskAddress.of(dask)


def dask_wait_seconds(text: str) -> float:
    """`--dask-wait`'s seconds, above 0 (a cluster given no time is never reached)."""
    seconds = parse_duration("--dask-wait", text)
    if seconds <= 0:
        raise UserError(f"--dask-wait {text!r}: give a duration above 0 (90s, 10m)")
    return seconds


def segments_url(settings: Config, store: Path | None, segments: Path | None) -> str | None:
    """The s3:// URL of the segments read, if they are in object storage: a cluster's
    workers copy them themselves."""
    if store is None and segments is None:
        store, segments = settings.store.locations()
    location = ObjectLocation.of(segments)
    return None if location is None else location.url


@contextmanager
def dask_pool(
    address: DaskAddress | None, url: str | None, *, wait: float
) -> Iterator[DaskPool | None]:
    """A pool judging on the cluster at `address` (None: no cluster), which has `wait`
    seconds to answer and show a worker; its parts' progress shown when standard error is
    a terminal. A local cluster's workers read the local copy."""
    if address is None:
        yield None
        return
    remote = url if address.local is None else None
    with dask_client(address, timeout=wait) as client:
        if not err.is_terminal:
            yield DaskPool(client, url=remote)
            return
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"parts on {address}", total=None)

            def on_part(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield DaskPool(client, url=remote, on_part=on_part)
