"""Judging a store's exchanges in worker processes, one contiguous run of ids each.

Each worker opens the store itself (a DuckDB connection never crosses a process), judges
its run with the run's `Judge` and gathers rows into Parquet files of its own; the parent
joins the parts in id order, so every row, count, cluster and sample comes out as one
process judging the whole stream would have made it. A run told of each verdict
(`analyze --json`) has each worker keep its part's verdicts in a file beside its rows,
told by the parent part after part in the same order.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from twinsight.records import PRIMARY_TARGET
from twinsight.store import Store

from .clusters import Clustering
from .collect import Collector
from .comparable import Replayed
from .diff import Difference
from .endpoints import Endpoints
from .judge import Judge
from .load import Stored, stored_of
from .pipeline import LegacyTally, ReplicaTally, judge_stream, judged_event, replica_stream
from .progress import counting_into, watching
from .verdict_file import VERDICTS, verdicts_into

__all__ = [
    "MIN_PER_WORKER",
    "Gathered",
    "Part",
    "absorb",
    "evidence_part",
    "evidence_parts",
    "judge_parts",
    "processes",
    "tally_parts",
    "worker_count",
]

T = TypeVar("T")

MIN_PER_WORKER = 10_000
"""Fewer exchanges than this per worker and starting the processes costs more than it saves."""


@dataclass(frozen=True)
class Part:
    """One worker's share: where the store is, the ids it judges, how to judge them."""

    path: Path | None
    segments: Path | None
    within: tuple[str | None, str | None]
    judge: Judge
    endpoints: Endpoints
    replayed: Mapping[str, Replayed]
    only_new: bool
    folder: Path
    """Where the worker writes its rows."""
    now: datetime
    """The run's time, stamped on every classification."""
    judged: bool = False
    """Whether the worker keeps each verdict (`analyze --json`) in `folder`."""
    unread: bool = False
    """Only the exchanges the kept evidence does not cover (the evidence passes)."""
    among: frozenset[str] | None = None
    """The segment files the run opened: a part reads no other (one a capture wrote since
    would be in the part's tallies but not in the ids the run keeps with them)."""
    counted: bool = False
    """Whether the worker counts what it reads into `folder` (`progress.counting_into`)."""
    pass_size: int = 0
    """How many exchanges the pass reads, over every part."""

    def count_file(self, name: str) -> Path:
        """Where pass `name` counts what this part has read."""
        return self.folder / f"counted-{name}"


@dataclass
class Gathered:
    """What one worker gathered, for `Collector.absorb`."""

    tables: dict[str, Path]
    counts: Counter[str]
    left_out: Counter[str]
    endpoints: Counter[str]
    features: dict[str, Counter[str]]
    clustering: Clustering
    changes: dict[tuple[str, str], list[Difference]]
    judged: Path | None = None
    """The part's verdicts in the order reached, when its `Part.judged` asked for them."""


def worker_count(requested: int | None, exchanges: int) -> int:
    """How many processes judge `exchanges`: `requested` at most (None: one; `analyze_store`
    asks for one per CPU), and only as many as get MIN_PER_WORKER each (one: this process
    judges them)."""
    return max(1, min(requested or 1, exchanges // MIN_PER_WORKER))


_SPAWNED = multiprocessing.get_context("spawn")
"""How worker processes start: spawned, so no DuckDB state is inherited."""
_SHARED: ContextVar[_Pool | None] = ContextVar("pool", default=None)
"""The pool `processes` opened."""


class _Pool:
    """A pool of `size` processes made when a pass first has parts: most runs (a small
    store, nothing new) need none, and even an idle pool starts multiprocessing's
    resource tracker, a process of its own."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._made: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._made is None:
            self._made = ProcessPoolExecutor(self.size, mp_context=_SPAWNED)
        return self._made

    def close(self) -> None:
        if self._made is not None:
            self._made.shutdown()


@contextmanager
def processes(size: int | None) -> Iterator[None]:
    """Run the passes inside (evidence, replica tally, judging) in one pool of `size`
    processes instead of a pool each: spawning one costs ~1.5 s (fresh interpreters
    importing twinsight). Its processes start when a pass first has parts."""
    if size is None or size < 2:
        yield
        return
    pool = _Pool(size)
    token = _SHARED.set(pool)
    try:
        yield
    finally:
        _SHARED.reset(token)
        pool.close()


def _in_processes(task: Callable[[Part], T], parts: Sequence[Part], name: str) -> Iterator[T]:
    """`task` of each part in the order of `parts`, in the pool `processes` opened, or in a
    pool of its own when none is open or it has fewer processes than parts; pass `name`'s
    progress told as the parts count it."""
    with watching(name, [p.count_file(name) for p in parts], parts[0].pass_size):
        shared = _SHARED.get()
        if shared is not None and shared.size >= len(parts):
            yield from shared.executor().map(task, parts)
            return
        with ProcessPoolExecutor(len(parts), mp_context=_SPAWNED) as pool:
            yield from pool.map(task, parts)


def judge_parts(parts: Sequence[Part]) -> list[Gathered]:
    """Each part judged in a process of its own, gathered in the order of `parts`."""
    return list(_in_processes(judge_part, parts, "judging"))


def tally_parts(parts: Sequence[Part]) -> ReplicaTally:
    """The replica's counts over every part, each counted in a process of its own."""
    tally = ReplicaTally()
    for counted in _in_processes(tally_part, parts, "replica"):
        tally.merge(counted)
    return tally


def tally_part(part: Part) -> ReplicaTally:
    """Count what one part's replica answers show (runs in the worker)."""
    tally = ReplicaTally()
    with _opened(part) as store:
        exchanges = _exchanges(store, part, counted="replica")
        tally.add(replica_stream(exchanges, part.judge, part.endpoints))
    return tally


def evidence_parts(parts: Sequence[Part]) -> LegacyTally:
    """The legacy's evidence over every part, each read in a process of its own, merged in
    the order of `parts` (id order: the stream's first order of a request stays its first)."""
    tally = LegacyTally()
    for read in _in_processes(evidence_part, parts, "evidence"):
        tally.merge(read)
    return tally


def evidence_part(part: Part) -> LegacyTally:
    """Read what one part's legacy answers show (runs in the worker): every exchange of its
    run, or with `part.unread` those the kept evidence does not cover (never only those
    new to judging: the evidence covers every exchange)."""
    tally = LegacyTally()
    with _opened(part) as store:
        every = replace(part, only_new=False)
        legacy = _exchanges(store, every, targets=(PRIMARY_TARGET,), counted="evidence")
        tally.add(legacy, part.endpoints)
    return tally


def judge_part(part: Part) -> Gathered:
    """Judge one part into Parquet files in `part.folder`, and its verdicts when `part.judged`
    (runs in the worker)."""
    part.folder.mkdir(parents=True, exist_ok=True)
    collector = Collector(spill=part.folder)
    collector.now = part.now
    left_out = collector.analysis.left_out
    judged = part.folder / VERDICTS if part.judged else None
    opened = _opened(part)
    with opened as store, verdicts_into(judged) as tell:
        exchanges = _exchanges(store, part, counted="judging")
        for result in judge_stream(exchanges, part.judge, part.endpoints, left_out):
            collector.add(result)
            if tell is not None:
                tell(judged_event(result))
    analysis = collector.analysis
    tables = {}
    for columns in (analysis.classifications, analysis.differences, analysis.checks):
        source = columns.source()
        assert isinstance(source, Path)  # every table spilled above
        tables[columns.name] = source
    return Gathered(
        tables,
        analysis.counts,
        left_out,
        collector.endpoints,
        collector.features,
        collector.clustering,
        collector.changes,
        judged,
    )


def _opened(part: Part) -> Store:
    """The store as a worker reads it: the files the run opened, DuckDB kept lean."""
    return Store.open(part.path, part.segments, among=part.among, worker=True)


def _exchanges(
    store: Store, part: Part, targets: Collection[str] | None = None, *, counted: str
) -> Iterator[Stored]:
    # As `load.read_exchanges` reads the whole stream; pass `counted` counts them.
    known = part.replayed
    rows = store.exchanges(
        only_new=part.only_new, unread=part.unread, within=part.within, targets=targets
    )
    for row in counting_into(part.count_file(counted) if part.counted else None, rows):
        found = stored_of(row)
        yield replace(found, replayed=known[found.id]) if found.id in known else found


def absorb(collector: Collector, gathered: Gathered) -> None:
    """Add what a worker gathered to `collector`, as if it had judged the part itself: parts
    absorbed in id order keep the first samples of each location the stream's first."""
    analysis = collector.analysis
    for columns in (analysis.classifications, analysis.differences, analysis.checks):
        columns.extend(gathered.tables[columns.name])
    analysis.counts.update(gathered.counts)
    analysis.left_out.update(gathered.left_out)
    collector.endpoints.update(gathered.endpoints)
    for endpoint, features in gathered.features.items():
        collector.features.setdefault(endpoint, Counter()).update(features)
    collector.clustering.merge(gathered.clustering)
    for key, changes in gathered.changes.items():
        samples = collector.changes.setdefault(key, [])
        samples.extend(changes[: collector.volatile_samples - len(samples)])
