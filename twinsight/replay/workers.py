"""`twinsight replay --workers N`: sessions split by hash over N processes.

One process sends as fast as one core lets aiohttp (see bench/); more need more
processes. Each worker replays the sessions whose hash falls to it (a session is
never split, so its order holds) and writes Parquet segments, since a DuckDB file
takes one writing process; into a store file, they are the segments beside it, which
the parent absorbs in whole batches when the run ends (`store.beside`). Id pairs are
learned per worker: a session that names ids another session created is only
rewritten when both fall to the same worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

from twinsight.config import Config
from twinsight.errors import TwinsightError
from twinsight.events import ReplaySummary
from twinsight.traffic.loop import run_loop

from .engine import ReplayPlan
from .formats import Tally
from .pacing import Pacing

__all__ = ["Given", "merge_summaries", "run_workers"]


Replay = Callable[..., Coroutine[Any, Any, tuple[ReplaySummary, Tally]]]
"""`service.replay_traffic`: what each worker process runs (passed in, so that this module
does not import the one that calls it)."""


@dataclass(frozen=True)
class Given:
    """What every worker is handed besides its plan: the origins this run has replayed, the
    output store's recorded exchanges as Parquet (None: the plan's sources), the store
    lock's descriptor to hold while it writes (None: no lock), and the replay to run."""

    done: frozenset[str]
    snapshot: Path | None
    lock: object | None
    replay: Replay


def run_workers(
    config: Config, plan: ReplayPlan, workers: int, given: Given
) -> tuple[ReplaySummary, Tally]:
    """Replay `plan` with `workers` processes, each writing segments into the segment
    folder `config` names (the parent absorbs them into a store file: `store.beside`)."""
    results = _run(config, plan, workers, given)
    merged = merge_summaries([s for s, _ in results])
    merged.pacing = plan.options.pacing.describe() + f", {workers} workers"
    return merged, results[0][1]  # every worker read every entry: one tally tells


def _run(
    config: Config, plan: ReplayPlan, workers: int, given: Given
) -> list[tuple[ReplaySummary, Tally]]:
    context = multiprocessing.get_context("spawn")
    pacing = plan.options.pacing
    if pacing.mode == "rate":  # the rate asked for is the run's, not each worker's
        pacing = Pacing("rate", pacing.value / workers)
    started = []
    for worker in range(workers):
        options = replace(plan.options, pacing=pacing, partition=(worker, workers))
        mine, theirs = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker,
            args=(theirs, config, replace(plan, options=options), given),
            name=f"twinsight-replay-{worker}",
        )
        process.start()
        theirs.close()
        started.append((process, mine))

    def forward(signum: int, _: FrameType | None) -> None:
        for process, _pipe in started:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        results = [_result(process, pipe) for process, pipe in started]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return results


def _result(process: Any, pipe: Connection) -> tuple[ReplaySummary, Tally]:
    try:
        outcome = pipe.recv()
    except EOFError:
        outcome = None
    process.join()
    if isinstance(outcome, tuple):
        return outcome
    detail = outcome if isinstance(outcome, str) else f"exit code {process.exitcode}"
    raise TwinsightError(f"replay worker {process.name} failed: {detail}")


def _worker(pipe: Connection, config: Config, plan: ReplayPlan, given: Given) -> None:
    # The parent forwards SIGINT and SIGTERM; a terminal's Ctrl-C reaches us directly as
    # well: either way the replay's own handlers stop it gracefully. `given.lock` came as an
    # open descriptor that holds the store's lock until this process exits.
    replay = given.replay(config, plan, signals=True, done=given.done, snapshot=given.snapshot)
    try:
        result = run_loop(replay)
    except Exception as exc:  # sent to the parent, which reports it in one line
        pipe.send(f"{type(exc).__name__}: {exc}")
    else:
        pipe.send(result)
    finally:
        pipe.close()


def merge_summaries(summaries: list[ReplaySummary]) -> ReplaySummary:
    """One summary for a run that several workers shared."""
    first = summaries[0]
    merged = ReplaySummary(first.run, first.pacing, order=first.order, order_note=first.order_note)
    for s in summaries:
        merged.sent += s.sent
        merged.left_out.update(s.left_out)
        merged.redacted_headers += s.redacted_headers
        merged.degraded += s.degraded
        merged.degraded_notes.update(s.degraded_notes)
        merged.rewritten += s.rewritten
        merged.sessions += s.sessions
        merged.answered.update(s.answered)
        merged.errors.update(s.errors)
        merged.statuses.update(s.statuses)
        merged.duration_s = max(merged.duration_s, s.duration_s)
        merged.stopped = merged.stopped or s.stopped
    return merged
