"""aiohttp applications served on 127.0.0.1 ephemeral ports from a thread of their own, for
tests that drive them synchronously (hypothesis, explore's driver, blocking clients)."""

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web

from twinsight.examples.tasks.serve import start


@contextmanager
def served(*makers: Callable[[], web.Application]) -> Iterator[list[str]]:
    """Each application `makers` build (on the serving loop), up until the block ends: their
    base URLs, in order."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    async def up() -> list[str]:
        urls = []
        for make in makers:
            runner, port = await start(make())
            runners.append(runner)
            urls.append(f"http://127.0.0.1:{port}")
        return urls

    try:
        yield asyncio.run_coroutine_threadsafe(up(), loop).result(timeout=30)
    finally:
        for runner in runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
