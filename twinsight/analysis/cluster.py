"""Judging a store's parts on a Dask cluster: `twinsight analyze --dask ADDRESS`.

The same parts as the worker processes judge (contiguous runs of ids, `workers.Part`), as
Dask tasks: each worker opens the store itself, judges its run into Parquet files in a
folder of its own and sends the files' bytes back with its counts, so a worker needs no
folder the caller sees. The replica's noise pass is a reduction: each task counts its part
(`ReplicaTally`), the caller merges the counts as they come. The caller absorbs the parts in
id order, so every derived row is what one process makes; a run told of each verdict
(`analyze --json`) gets each part's verdicts file back too, told part after part.

A worker on another machine reads segments in object storage itself (`url`: each worker
process keeps its own copy, fetching only new objects); otherwise it reads the store where
the caller does, which must then be a path every worker sees.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from twinsight.errors import UserError
from twinsight.extras import require
from twinsight.store.objecterrors import reason
from twinsight.store.objects import ObjectLocation, cache_folder, pull

from . import workers
from .cluster_check import check_workers, say_hello
from .pipeline import LegacyTally, ReplicaTally
from .verdict_file import VERDICTS
from .workers import Gathered, Part, evidence_part, judge_part, tally_part

__all__ = [
    "DaskAddress",
    "DaskPool",
    "Shipped",
    "dask_client",
    "judge_shipped",
    "tally_shipped",
]

_COUNT = re.compile(r"[1-9][0-9]*")
_SCHEDULER = re.compile(r"(tcp|tls|ws|wss|ucx)://[!-~]+")
"""A scheme Dask connects to from another process and a printable ASCII rest: a name that
reads back as given in any message."""
OnPart = Callable[[int, int], None]
"""Told (parts done, parts in all) as each part finishes."""
_PULLING = threading.Lock()
"""One copy of the segments at a time in a worker process (its tasks may share threads)."""


@dataclass(frozen=True)
class DaskAddress:
    """Where the cluster is: `local` worker processes started here, or a scheduler's URL."""

    local: int | None
    scheduler: str | None

    @classmethod
    def of(cls, text: str) -> DaskAddress:
        """Read `local:N` or `tcp://host:port` (tls://, ws://, wss://, ucx:// too);
        UserError otherwise."""
        if text.startswith("local:"):
            if not _COUNT.fullmatch(text.removeprefix("local:")):
                raise UserError(f"--dask {text!r}: local:N needs N, a number of workers >= 1")
            return cls(int(text.removeprefix("local:")), None)
        if _SCHEDULER.fullmatch(text):
            return cls(None, text)
        raise UserError(f"--dask {text!r}: give local:N or a scheduler's tcp://HOST:PORT")

    def __str__(self) -> str:
        return f"local:{self.local}" if self.local is not None else str(self.scheduler)


@contextmanager
def dask_client(address: DaskAddress, *, timeout: float = 10.0) -> Iterator[Any]:
    """A `distributed.Client` for `address` whose workers run this twinsight, closed (with
    a local cluster) at the end; a one-line UserError when dask is not installed, the
    scheduler cannot be reached, has no worker within `timeout` seconds or a worker runs
    another twinsight (`check_workers`)."""
    require("distributed", "dask", "--dask")
    from distributed import Client, LocalCluster

    if address.local is not None:
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=address.local,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # its own machine's workers only
                dashboard_address=None,
                # No dashboard, but the scheduler's health routes still listen: on a free
                # port, not the 8787 another cluster on this machine may hold.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            check_workers(client, str(address), wait=timeout)
            yield client
        return
    say_hello(str(address.scheduler), timeout)
    try:
        client = Client(address.scheduler, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise UserError(f"--dask {address}: cannot reach the scheduler ({reason(exc)})") from None
    with client:
        check_workers(client, str(address), wait=timeout)
        yield client


@dataclass(frozen=True)
class Shipped:
    """What a task gathered, its tables as Parquet bytes (its folder is on the worker)."""

    gathered: Gathered
    files: dict[str, bytes]
    verdicts: bytes | None = None
    """The part's verdicts file, when the part kept one."""


def judge_shipped(part: Part, url: str | None = None) -> Shipped:
    """Judge `part` in a folder of the worker's own and send the tables back (the task)."""
    with tempfile.TemporaryDirectory(prefix="twinsight-part-") as folder:
        gathered = judge_part(replace(_on_worker(part, url), folder=Path(folder)))
        files = {name: path.read_bytes() for name, path in gathered.tables.items()}
        verdicts = gathered.judged.read_bytes() if gathered.judged else None
    return Shipped(replace(gathered, tables={}, judged=None), files, verdicts)


def tally_shipped(part: Part, url: str | None = None) -> ReplicaTally:
    """Count what `part`'s replica answers show (the task)."""
    return tally_part(_on_worker(part, url))


def evidence_shipped(part: Part, url: str | None = None) -> LegacyTally:
    """Read what `part`'s legacy answers show (the task)."""
    return evidence_part(_on_worker(part, url))


def _on_worker(part: Part, url: str | None) -> Part:
    """`part` reading the worker's own copy of the segments at `url`, if given."""
    location = ObjectLocation.of(url)
    if location is None:
        return part
    # Per process: two processes of one machine must not write one copy at once.
    shared = cache_folder(location)
    with _PULLING:
        mine = pull(location, shared.with_name(f"{shared.name}.worker-{os.getpid()}"))
    return replace(part, segments=mine)


class DaskPool:
    """The `analysis.pools.Pool` that judges parts as tasks of a Dask `client`."""

    def __init__(
        self,
        client: Any,
        *,
        url: str | None = None,
        min_per_worker: int | None = None,
        on_part: OnPart | None = None,
    ) -> None:
        """`url`: the segments in object storage each worker reads itself (None: the
        caller's store path, seen by every worker); `min_per_worker`: fewer exchanges per
        worker thread and the store is judged in the caller's process (None: as many as a
        worker process needs, `workers.MIN_PER_WORKER`)."""
        self.client = client
        self.url = url
        self.min_per_worker = min_per_worker
        self.on_part = on_part

    def parts_for(self, exchanges: int) -> int:
        """One part per worker thread, each of at least `min_per_worker` exchanges."""
        threads: int = sum(self.client.nthreads().values())
        least = workers.MIN_PER_WORKER if self.min_per_worker is None else self.min_per_worker
        return max(1, min(threads, exchanges // max(1, least)))

    def judge(self, parts: Sequence[Part]) -> list[Gathered]:
        """Each part judged by a task, its tables written into `part.folder` here."""
        found: dict[int, Gathered] = {}
        for n, shipped in self._each(judge_shipped, parts):
            found[n] = _land(shipped, parts[n].folder)
        return [found[n] for n in range(len(parts))]

    def tally(self, parts: Sequence[Part]) -> ReplicaTally:
        """The replica's counts over every part, merged as the tasks finish."""
        tally = ReplicaTally()
        for _, counted in self._each(tally_shipped, parts):
            tally.merge(counted)
        return tally

    def evidence(self, parts: Sequence[Part]) -> LegacyTally:
        """The legacy's evidence over every part, merged in the parts' (id) order: a
        request's first order seen stays the stream's first."""
        found = dict(self._each(evidence_shipped, parts))
        tally = LegacyTally()
        for n in range(len(parts)):
            tally.merge(found[n])
        return tally

    def _each(self, task: Callable[..., Any], parts: Sequence[Part]) -> Iterator[tuple[int, Any]]:
        """(index of the part, the task's result) as each task finishes."""
        from distributed import as_completed

        futures = self.client.map(task, parts, url=self.url, pure=False)
        index = {future.key: n for n, future in enumerate(futures)}
        finished = as_completed(futures)  # type: ignore[no-untyped-call]
        for done, future in enumerate(finished, start=1):
            yield index[future.key], future.result()
            if self.on_part is not None:
                self.on_part(done, len(parts))


def _land(shipped: Shipped, folder: Path) -> Gathered:
    """`shipped`'s tables written into `folder`, named in what it gathered."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    for name, data in shipped.files.items():
        tables[name] = folder / f"{name}.parquet"
        tables[name].write_bytes(data)
    if shipped.verdicts is None:
        return replace(shipped.gathered, tables=tables)
    judged = folder / VERDICTS
    judged.write_bytes(shipped.verdicts)
    return replace(shipped.gathered, tables=tables, judged=judged)
