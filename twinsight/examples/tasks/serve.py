"""Run an example service on 127.0.0.1 until interrupted, printing where it listens."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable

from aiohttp import web

__all__ = ["serve", "start"]


async def start(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start `app`; return its runner and the bound port (an ephemeral one for port 0)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, int(runner.addresses[0][1])


def serve(make_app: Callable[[], web.Application], name: str, listening: socket.socket) -> None:
    """Serve on the socket `listening` (bound by the caller, which says what a failure to
    bind means) until SIGINT/SIGTERM; the first line printed names the URL (tests parse it)."""

    async def main() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        await web.SockSite(runner, listening).start()
        host, port = listening.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"{name} listening on http://{shown}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())
