"""`twinsight proxy --workers N` (and the sink's): N capture processes on one port.

One process serves as much as one core lets aiohttp (see bench/); more need more
processes. Each worker binds the client port with SO_REUSEPORT, so the kernel spreads
connections over them, and writes Parquet segments of its own, as every capture does
(beside). The parent reserves the port, starts the workers, starts another when one
dies, serves the admin endpoints for all of them (`admin`) and forwards SIGINT and
SIGTERM; the store's lock goes to each worker, so it lasts while any of them still writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from twinsight.config import Config, write_into_store
from twinsight.errors import UserError
from twinsight.events import CaptureSummary
from twinsight.store.capturelock import Held
from twinsight.traffic.listen import bound_socket, shown
from twinsight.traffic.loop import run_loop

from .admin import WorkerAdmin
from .service import Address, listening_line, run_capture, settled

__all__ = ["serve_workers"]

Mode = Literal["proxy", "sink"]
_READY_S = 60.0
_STOP_S = 60.0
_ORPHAN_CHECK_S = 0.5
_Message = tuple[str, Any]


@dataclass
class _Worker:
    """One worker process, and what it has said so far."""

    index: int
    process: BaseProcess
    admin: Address | None = None
    summary: CaptureSummary | None = None
    failure: str | None = None
    exited: bool = False


@dataclass
class _Pool:
    """The workers of one capture, and how to start another."""

    start: Callable[[int], _Worker]
    inbox: asyncio.Queue[tuple[_Worker, _Message]]
    workers: dict[int, _Worker] = field(default_factory=dict)
    stopping: bool = False

    def admins(self) -> list[Address]:
        """The admin addresses of the workers that are ready."""
        return [w.admin for w in self.workers.values() if w.admin is not None and not w.exited]


def serve_workers(
    mode: Mode,
    config: Config,
    listen: Address,
    admin: Address | None,
    workers: int,
    say: Callable[[str], None],
) -> CaptureSummary:
    """Run `workers` capture processes on `listen` until SIGINT or SIGTERM; the run's summary."""

    def run(settings: Config, held: Held | None) -> CaptureSummary:
        return run_loop(_parent(mode, settings, listen, admin, workers, say, held))

    return write_into_store(config, run)


async def _parent(
    mode: Mode,
    config: Config,
    listen: Address,
    admin: Address | None,
    workers: int,
    say: Callable[[str], None],
    lock: Held | None,
) -> CaptureSummary:
    held = _reserve(listen)
    address = (listen[0], held.getsockname()[1])
    served: WorkerAdmin | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    inbox: asyncio.Queue[tuple[_Worker, _Message]] = asyncio.Queue()
    spawn = _spawner(mode, config, address, admin is not None, inbox, loop, lock)
    pool = _Pool(spawn, inbox)
    try:
        if admin is not None:  # before any worker starts: a used port fails at once
            served = WorkerAdmin(pool.admins)
            admin = await served.start(admin)
        for index in range(workers):
            pool.workers[index] = spawn(index)
        await _all_ready(pool)
        held.close()  # the workers hold the port now
        settled()
        say(f"twinsight {mode}: {workers} workers on one port")
        say(listening_line(mode, address, admin))
        await _watch(pool, stop, say)
    finally:
        held.close()
        pool.stopping = True
        await _stop_all(pool)
        if served is not None:
            await served.close()
    return _merged(mode, [w.summary for w in pool.workers.values() if w.summary is not None])


def _reserve(listen: Address) -> socket.socket:
    """A socket bound (not listening) to `listen` with SO_REUSEPORT: it fixes the port when
    `listen` asks for any (port 0) and fails early when another program holds it.

    The port is first bound without SO_REUSEPORT, which fails when any socket is on it:
    the workers of another `--workers` run set SO_REUSEPORT too, and the kernel would
    otherwise let this run join their port and take half their clients."""
    option = f"--listen {shown(*listen)}"
    probe = bound_socket(option, *listen, backlog=None)
    port = probe.getsockname()[1]
    probe.close()
    return bound_socket(option, listen[0], port, reuse_address=False, reuse_port=True, backlog=None)


def _spawner(
    mode: Mode,
    config: Config,
    address: Address,
    admin: bool,
    inbox: asyncio.Queue[tuple[_Worker, _Message]],
    loop: asyncio.AbstractEventLoop,
    lock: Held | None,
) -> Callable[[int], _Worker]:
    context = multiprocessing.get_context("spawn")

    def spawn(index: int) -> _Worker:
        mine, theirs = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main,
            # The store's lock goes along: it lasts while any worker still writes.
            args=(theirs, mode, config, address, admin, os.getpid(), lock and lock.for_child()),
            name=f"twinsight-{mode}-{index}",
        )
        process.start()
        theirs.close()
        worker = _Worker(index, process)
        threading.Thread(target=_listen_to, args=(worker, mine, inbox, loop), daemon=True).start()
        return worker

    return spawn


def _listen_to(
    worker: _Worker,
    pipe: Connection,
    inbox: asyncio.Queue[tuple[_Worker, _Message]],
    loop: asyncio.AbstractEventLoop,
) -> None:
    """A thread per worker: its messages into the parent's loop, then that it exited."""
    while True:
        try:
            message: _Message = pipe.recv()
        except (EOFError, OSError):
            break
        loop.call_soon_threadsafe(inbox.put_nowait, (worker, message))
    worker.process.join()
    loop.call_soon_threadsafe(inbox.put_nowait, (worker, ("exited", worker.process.exitcode)))


def _heard(worker: _Worker, message: _Message) -> None:
    kind, value = message
    if kind == "ready":
        worker.admin = value
    elif kind == "done":
        worker.summary = value
    elif kind == "failed":
        worker.failure = value
    elif kind == "exited":
        worker.exited = True


async def _all_ready(pool: _Pool) -> None:
    """Wait until every worker listens; a worker that fails to start stops the run."""
    async with asyncio.timeout(_READY_S):
        while any(w.admin is None for w in pool.workers.values()):
            worker, message = await pool.inbox.get()
            _heard(worker, message)
            if worker.failure is not None:
                raise UserError(worker.failure)
            if worker.exited and worker.admin is None:
                code = worker.process.exitcode
                raise UserError(f"capture worker {worker.index} exited at start (code {code})")


async def _watch(pool: _Pool, stop: asyncio.Event, say: Callable[[str], None]) -> None:
    """Until `stop`: note what workers say, and start another in place of one that died."""
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            got = asyncio.ensure_future(pool.inbox.get())
            await asyncio.wait({got, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not got.done():
                got.cancel()
                break
            worker, message = got.result()
            _heard(worker, message)
            if worker.exited and not stop.is_set():
                code = worker.process.exitcode
                say(f"capture worker {worker.index} exited (code {code}); starting another")
                pool.workers[worker.index] = pool.start(worker.index)
    finally:
        stopped.cancel()


async def _stop_all(pool: _Pool) -> None:
    """SIGTERM to every worker (each drains and flushes as a lone proxy does); wait for all."""
    for worker in pool.workers.values():
        pid = worker.process.pid
        if pid is not None and not worker.exited:
            with contextlib.suppress(ProcessLookupError):  # it died meanwhile
                os.kill(pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(_STOP_S):
            while not all(w.exited for w in pool.workers.values()):
                worker, message = await pool.inbox.get()
                _heard(worker, message)
    except TimeoutError:
        for worker in pool.workers.values():
            if not worker.exited:
                worker.process.kill()


def _merged(mode: Mode, summaries: list[CaptureSummary]) -> CaptureSummary:
    """One summary for the workers that stopped cleanly (a killed one's counts are in the
    store's counters up to its last flush, not here)."""
    counts: Counter[str] = Counter()
    for summary in summaries:
        counts.update(summary.counts)
    return CaptureSummary(mode, dict(counts), sum(s.cancelled for s in summaries))


def _worker_main(
    pipe: Connection,
    mode: Mode,
    config: Config,
    listen: Address,
    admin: bool,
    parent: int,
    _lock: int | None = None,  # the store's lock, held open until this process ends
) -> None:
    """A worker process: one capture on the shared port, its admin on a port of its own."""

    async def main() -> CaptureSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        orphaned = asyncio.ensure_future(_stop_when_orphaned(parent, stop))

        def ready(_: Address, bound: Address | None) -> None:
            settled()
            pipe.send(("ready", bound or ("", 0)))

        own_admin = ("127.0.0.1", 0) if admin else None
        try:
            return await run_capture(
                mode, config, listen, admin=own_admin, stop=stop, ready=ready, reuse_port=True
            )
        finally:
            orphaned.cancel()

    try:
        summary = run_loop(main())
    except Exception as exc:  # the parent reports it in one line
        report: tuple[str, object] = (
            "failed",
            str(exc) if isinstance(exc, UserError) else repr(exc),
        )
    else:
        report = ("done", summary)
    try:
        pipe.send(report)
    except OSError:
        pass  # a killed parent is not listening: the worker stopped as it should
    finally:
        pipe.close()


async def _stop_when_orphaned(parent: int, stop: asyncio.Event) -> None:
    """Stop the worker, as SIGTERM does, once its parent is gone (a SIGKILL leaves it no time
    to stop its workers): else they would go on serving the port and writing into a
    segment folder whose lock died with the parent, which the next run absorbs."""
    while os.getppid() == parent:
        await asyncio.sleep(_ORPHAN_CHECK_S)
    stop.set()
