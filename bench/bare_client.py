"""The baseline a user would write: a plain aiohttp client sending the mix to one or two targets.

python bench/bare_client.py --requests 20000 --concurrency 16 URL [URL...]

Prints the request rate (requests sent to every URL, per second). No capture,
no pacing, no sessions: the ceiling of an aiohttp-based replayer in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

BODY = b'{"title": "Buy groceries", "description": "milk, eggs"}'


async def send(urls: list[str], count: int, concurrency: int) -> float:
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) for _ in urls
    ]
    next_index = iter(range(1, count + 1))

    async def worker() -> None:
        for i in next_index:
            calls = []
            for session, url in zip(sessions, urls, strict=True):
                if i % 5 == 0:
                    calls.append(session.post(f"{url}/items", data=BODY))
                else:
                    calls.append(session.get(f"{url}/items/{i % 1000}"))
            for answer in await asyncio.gather(*calls):
                await answer.read()
                answer.release()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    for session in sessions:
        await session.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    print(f"{asyncio.run(send(args.urls, args.requests, args.concurrency)):.0f}")


if __name__ == "__main__":
    main()
