"""Running `twinsight import` and `twinsight replay`: files and stores in, exchanges out.

The shell around the readers and the replayer: which store is written, what it
already holds (so imports and resumed runs skip it), signals, the writer's
lifetime. Inputs that are stores are snapshotted before the output store is
opened, so a replay may read and write the same DuckDB file.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from twinsight.config import Config, store_writer, write_into_store
from twinsight.events import ReplaySummary
from twinsight.records import Exchange
from twinsight.store import Store, StoreError
from twinsight.store.capturelock import Held
from twinsight.traffic import Target, configured_targets
from twinsight.traffic.loop import run_loop

from .engine import Replayer, ReplayPlan
from .formats import (
    Entry,
    Format,
    OnBytes,
    Tally,
    detect,
    exchanges_only,
    read_capture,
    read_snapshot,
    snapshot_store,
)
from .selection import RequestFilter
from .workers import Given, run_workers

__all__ = [
    "ImportResult",
    "ReplayPlan",
    "import_captures",
    "replay_traffic",
    "replayed_in_run",
    "run_replay",
    "snapshot_output",
    "targets_of",
]


@dataclass
class ImportResult:
    """Per file, what was read and skipped; exchanges the store already holds are not re-added."""

    tallies: dict[Path, Tally] = field(default_factory=dict)
    already_stored: int = 0
    stored: int = 0


def _stored_ids(config: Config, read: Callable[[Store], frozenset[str]]) -> frozenset[str]:
    """What `read` finds in the configured store; nothing while the store does not exist."""
    store = Store.open_existing(*config.store.locations())
    if store is None:
        return frozenset()
    with store:
        return read(store)


def import_captures(
    config: Config,
    files: list[Path],
    *,
    format: Format | None = None,
    on_bytes: OnBytes | None = None,
) -> ImportResult:
    """Read capture files into the configured store (`source = 'import'`)."""
    formats = {file: format or detect(file) for file in files}
    # Every file opened and its format checked before anything is written: a foreign file
    # among several refuses the whole import rather than land half of it.
    readers = {
        file: read_capture(file, format=found, max_body=config.capture.max_body, on_bytes=on_bytes)
        for file, found in formats.items()
    }
    seen = _stored_ids(config, lambda store: store.ids(source="import"))
    result = ImportResult()
    writer = store_writer(config)
    try:
        for file, entries in readers.items():
            tally = result.tallies[file] = Tally()
            for exchange in exchanges_only(entries, tally):
                if exchange.id in seen:
                    result.already_stored += 1
                    continue
                writer.put(exchange)
                result.stored += 1
    finally:
        writer.close()
    return result


def run_replay(
    config: Config, plan: ReplayPlan, *, on_bytes: OnBytes | None = None, workers: int = 1
) -> tuple[ReplaySummary, Tally]:
    """Replay the plan's traffic to the configured targets into the configured store
    (with `workers` processes, sessions split among them: see `twinsight.replay.workers`).
    Into a store file, the replay writes segments beside it, absorbed when it ends
    (`store.beside`), as a capture does."""
    # Bad settings fail here, once, in one line, before anything is written.
    targets_of(config, plan.timeout_s)
    if plan.filter:
        RequestFilter(plan.filter)
    done = replayed_in_run(config, plan.options.run)
    with tempfile.TemporaryDirectory(prefix="twinsight-replay-") as scratch:
        # What the output store holds is read before the replay writes into it.
        snapshot = None if plan.sources else snapshot_output(config, Path(scratch))

        def replay(into: Config, lock: Held | None) -> tuple[ReplaySummary, Tally]:
            if workers <= 1:
                sent = replay_traffic(
                    into, plan, on_bytes=on_bytes, signals=True, done=done, snapshot=snapshot
                )
                return run_loop(sent)
            given = Given(done, snapshot, lock.for_child() if lock else None, replay_traffic)
            return run_workers(into, plan, workers, given)

        return write_into_store(config, replay)


async def replay_traffic(
    config: Config,
    plan: ReplayPlan,
    *,
    on_bytes: OnBytes | None = None,
    signals: bool = False,
    done: frozenset[str] | None = None,
    snapshot: Path | None = None,
) -> tuple[ReplaySummary, Tally]:
    """`run_replay` on the running loop; `signals`: SIGINT and SIGTERM stop it gracefully.

    A worker process is handed what its parent knows already: `done`, the origins this run
    has replayed, and `snapshot`, the output store's recorded exchanges as Parquet."""
    targets = targets_of(config, plan.timeout_s)
    accepts = RequestFilter(plan.filter).accepts if plan.filter else _everything
    done = replayed_in_run(config, plan.options.run) if done is None else done
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="twinsight-replay-") as scratch:
        entries = (
            read_snapshot(snapshot)
            if snapshot is not None
            else _recorded(config, plan, Path(scratch), on_bytes)
        )
        recorded = exchanges_only(entries, tally)
        writer = store_writer(config)
        try:
            replayer = Replayer(targets, writer, plan.options, done=done, accepts=accepts)
            summary = await _replay(replayer, targets, recorded, signals=signals)
        finally:
            writer.close()
    return summary, tally


def replayed_in_run(config: Config, run: str) -> frozenset[str]:
    """The recorded exchanges run `run` has replayed into the configured store."""
    return _stored_ids(config, lambda store: store.origins(replay_run=run))


def _everything(exchange: Exchange) -> bool:
    return True


def targets_of(config: Config, timeout: float) -> list[Target]:
    """The configured targets, the legacy first; a one-line error when one is missing."""
    return configured_targets(config.targets, timeout)


def snapshot_output(config: Config, scratch: Path) -> Path:
    """The configured store's recorded exchanges as a Parquet snapshot in `scratch`."""
    path, segments = config.store.locations()
    source = segments if segments is not None else path
    if source is None or not source.exists():
        raise StoreError(f"{source}: nothing to replay there; pass --from FILE to replay files")
    return snapshot_store(source, scratch)


def _recorded(
    config: Config, plan: ReplayPlan, scratch: Path, on_bytes: OnBytes | None
) -> Iterator[Entry]:
    """The recorded entries, with every store among the inputs snapshotted now."""
    if not plan.sources:
        return read_snapshot(snapshot_output(config, scratch))
    readers: list[Iterator[Entry]] = []
    for index, file in enumerate(plan.sources):
        found = plan.format or detect(file)
        if found == "store":
            folder = scratch / str(index)
            folder.mkdir()
            readers.append(read_snapshot(snapshot_store(file, folder)))
        else:
            readers.append(
                read_capture(
                    file, format=found, max_body=config.capture.max_body, on_bytes=on_bytes
                )
            )
    return (entry for reader in readers for entry in reader)


async def _replay(
    replayer: Replayer, targets: list[Target], recorded: Iterator[Exchange], *, signals: bool
) -> ReplaySummary:
    loop = asyncio.get_running_loop()
    stops = (signal.SIGINT, signal.SIGTERM) if signals else ()
    for sig in stops:
        loop.add_signal_handler(sig, replayer.stop)
    for target in targets:
        await target.open(pool=replayer.options.concurrency)
    try:
        return await replayer.run(recorded)
    finally:
        for sig in stops:
            loop.remove_signal_handler(sig)
        for target in targets:
            await target.close()
