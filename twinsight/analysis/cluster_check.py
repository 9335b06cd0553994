"""Whether a Dask cluster can take twinsight's work, asked before any is sent to it.

The scheduler must answer as a Dask scheduler within a bounded time, have a worker, and
every worker must run this twinsight with its dependencies: a task on any other fails on
the worker with a traceback, or, for a port that accepts and never answers, hangs. Each
of these is refused in one line naming the address (and each worker that differs).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from twinsight.errors import UserError

from . import installed

__all__ = ["Found", "check_workers", "refusal", "say_hello"]

_SHOWN = 3
"""Workers named in a refusal; the rest are counted."""

T = TypeVar("T")
Found = tuple[str | None, str | None] | BaseException
"""A worker's answer to `installed.installed`, or why it gave none."""


def say_hello(scheduler: str, timeout: float) -> None:
    """Refuse (UserError) `scheduler` unless it answers Dask's handshake within `timeout`
    seconds: `distributed.Client` bounds the connection but not the peer's answer, so
    another service on the port would hang it."""
    from distributed.comm.core import connect
    from distributed.security import Security

    # The connection arguments the Client takes from the Dask config (TLS, ...).
    options = Security().get_connection_args("client")  # type: ignore[no-untyped-call]
    _can_connect(scheduler, options)

    async def hello() -> None:
        connecting = connect(scheduler, timeout=timeout, **options)  # type: ignore[no-untyped-call]
        comm = await asyncio.wait_for(connecting, timeout)
        await comm.close()

    try:
        asyncio.run(hello())
    except OSError as exc:
        # Refused, unreachable, no such host; a bare TimeoutError: the port accepted but no
        # handshake came.
        said = str(exc) or f"no answer as a Dask scheduler within {timeout:g} s"
        raise UserError(
            f"--dask {scheduler}: cannot reach the scheduler ({_one_line(said)})"
        ) from None


def _can_connect(scheduler: str, options: Mapping[str, Any]) -> None:
    """Refuse (UserError) what Dask would fail on before connecting, with a TypeError: TLS
    without its settings, UCX without its package."""
    from distributed.comm.registry import get_backend

    scheme = scheduler.split("://", 1)[0]
    if scheme == "tls" and options.get("ssl_context") is None:
        raise UserError(
            f"--dask {scheduler}: tls:// needs Dask's TLS settings (distributed.comm.tls:"
            " ca-file, client.cert, client.key, in the Dask config or its DASK_ variables)"
        )
    try:
        get_backend(scheme).get_connector()  # type: ignore[no-untyped-call]
    except (TypeError, ValueError, ImportError):  # the backend's package is missing
        raise UserError(
            f"--dask {scheduler}: Dask's {scheme}:// support is not installed on this machine"
        ) from None


def check_workers(client: Any, address: str, *, wait: float = 10.0) -> None:
    """Refuse (UserError) a cluster with no worker after `wait` seconds, with a worker
    whose twinsight is not this one (its tasks would fail on the worker, a traceback), or
    whose workers do not say which within `wait` seconds more."""
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError:
        raise UserError(
            f"--dask {address}: the scheduler has no workers (waited {wait:g} s);"
            f" start some with: dask worker {address}"
        ) from None
    import cloudpickle  # type: ignore[import-untyped]

    # By value: a worker without twinsight, or with one older than the probe, runs it too.
    cloudpickle.register_pickle_by_value(installed)
    found = _within(wait, lambda: client.run(installed.installed, on_error="return"))
    if found is None:
        raise UserError(
            f"--dask {address}: the workers did not say which twinsight they run within"
            f" {wait:g} s (a worker busy or stuck?); see the cluster's dashboard"
        )
    problem = refusal(address, installed.running_version(), found)
    if problem is not None:
        raise UserError(problem)


def _within(seconds: float, call: Callable[[], T]) -> T | None:
    """What `call` returns within `seconds`, None if it has not by then; it raises here.

    A worker's event loop blocked (a stuck import, a function run on it that never returns)
    keeps `Client.run` waiting with no timeout of its own: it is left running in a daemon
    thread, which the process does not wait for."""
    answer: Future[T] = Future()

    def run() -> None:
        try:
            answer.set_result(call())
        except BaseException as exc:  # raised in the caller's thread by `result`
            answer.set_exception(exc)

    threading.Thread(target=run, name="twinsight-dask-probe", daemon=True).start()
    try:
        return answer.result(timeout=seconds)
    except TimeoutError:
        return None


def refusal(address: str, ours: str, found: Mapping[str, Found]) -> str | None:
    """The line refusing the cluster at `address` whose workers answered `found` (None:
    every worker runs twinsight `ours` and can import what the tasks need)."""
    wrong = [_wrong(ours, found[worker]) for worker in sorted(found)]
    named = [f"worker {who} {said}" for who, said in zip(sorted(found), wrong, strict=True) if said]
    if not named:
        return None
    more = f"; {len(named) - _SHOWN} more worker(s) too" if len(named) > _SHOWN else ""
    return (
        f"--dask {address}: {'; '.join(named[:_SHOWN])}{more} (this is twinsight {ours});"
        " run the same version everywhere"
    )


def _wrong(ours: str, found: Found) -> str | None:
    """What is wrong with one worker's answer, as words after its address (None: nothing)."""
    if isinstance(found, BaseException):
        told = f"{type(found).__name__}: {found}" if str(found) else type(found).__name__
        return f"did not tell its twinsight version ({_one_line(told)})"
    version, broken = found
    if version is None:
        return "has no twinsight installed"
    if version != ours:
        return f"runs twinsight {_one_line(version)}"
    if broken is not None:
        return f"cannot import twinsight's dependencies ({_one_line(broken)})"
    return None


def _one_line(text: str) -> str:
    """`text` on one line, whatever a worker sent."""
    return " ".join(text.split()) or "?"
