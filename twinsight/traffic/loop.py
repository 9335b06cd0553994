"""The event loop a process that sends traffic runs on (proxy, sink, replay): uvloop when it
is installed (the `fast` extra), asyncio's otherwise.

Each is bound by one core's CPU (bench/README.md), and uvloop's loop and transports
spend less of it per request than asyncio's."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_loop"]

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a fresh loop: uvloop's if importable, asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
