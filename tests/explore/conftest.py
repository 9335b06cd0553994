"""The example services, live on ephemeral ports in a thread of their own, and what explore
needs to judge their answers as analysis does."""

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tests.explore.tickets import Tickets
from twinsight.cli.explore import analysis_classifier
from twinsight.config import load_config
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.explore import Classify, Driver
from twinsight.spec import Spec, load_spec

EXAMPLE = files()
SPEC: Spec = load_spec(EXAMPLE / "spec.yaml")
CLASSIFY: Classify = analysis_classifier(load_config(EXAMPLE / "twinsight.toml"), SPEC)
AUTH = [("Authorization", f"Bearer {make_token('explorer')}")]


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """Fresh legacy and candidate (reads never fail on purpose: a flaky divergence would
    not shrink), served from a thread while the test drives hypothesis synchronously."""
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "0")
    loop = asyncio.new_event_loop()
    urls: list[str] = []
    runners = []

    async def up() -> None:
        for make in (make_legacy, make_candidate):
            runner, port = await start(make())
            runners.append(runner)
            urls.append(f"http://127.0.0.1:{port}")

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(up(), loop).result(timeout=30)
    try:
        yield urls[0], urls[1]
    finally:
        for runner in runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture
def driver(services: tuple[str, str]) -> Iterator[Driver]:
    """A driver to both services, as alice's explorer, recording nothing."""
    with Driver(services, CLASSIFY, headers=AUTH) as opened:
        yield opened


@pytest.fixture
def tickets() -> Iterator[tuple[Tickets, Tickets, tuple[str, str]]]:
    """A correct legacy and a candidate whose faults each test chooses, on ephemeral ports."""
    legacy, candidate = Tickets(), Tickets()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners = []

    async def up() -> list[str]:
        urls = []
        for service in (legacy, candidate):
            runner, port = await start(service.app())
            runners.append(runner)
            urls.append(f"http://127.0.0.1:{port}")
        return urls

    urls = asyncio.run_coroutine_threadsafe(up(), loop).result(timeout=30)
    try:
        yield legacy, candidate, (urls[0], urls[1])
    finally:
        for runner in runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
