"""The noisy example (`--noisy`) with zero config: the legacy serves tags as a set in random
order, so every `body.tags` order difference is inferred noise, and the planted change of the
tags themselves (row 12: lowercased) stays a real divergence."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.events import ExchangeJudged
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.examples.tasks.traffic import NOISY_SESSION, run_session
from twinsight.proxy.service import Address, run_capture, url_of
from twinsight.spec import load_spec


async def capture_noisy(store: Path) -> None:
    legacy, legacy_port = await start(make_legacy(noisy=True))
    candidate, candidate_port = await start(make_candidate(noisy=True))
    targets = {"legacy": legacy_port, "candidate": candidate_port}
    config = Config.model_validate(
        {
            "targets": {name: f"http://127.0.0.1:{port}" for name, port in targets.items()},
            "store": {"path": store, "flush_interval_s": 0.2},
            "capture": {"mirror_writes": True},
        }
    )
    stop = asyncio.Event()
    bound: asyncio.Future[Address] = asyncio.get_running_loop().create_future()

    def listening(address: Address, admin: Any) -> None:
        bound.set_result(address)

    capture = asyncio.ensure_future(
        run_capture("proxy", config, ("127.0.0.1", 0), stop=stop, ready=listening)
    )
    try:
        await asyncio.wait({capture, bound}, return_when=asyncio.FIRST_COMPLETED)
        await run_session(url_of(bound.result()), make_token("demo"), NOISY_SESSION)
    finally:
        stop.set()
        await capture
        await candidate.cleanup()
        await legacy.cleanup()


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> list[ExchangeJudged]:
    store = tmp_path_factory.mktemp("noisy") / "run.duckdb"
    asyncio.run(capture_noisy(store))
    seen: list[ExchangeJudged] = []
    spec = load_spec(files() / "spec.yaml")
    analyze_store(store, None, config=Config(), spec=spec, on_judged=seen.append)
    return seen


def test_tags_in_random_order_are_inferred_noise(verdicts: list[ExchangeJudged]) -> None:
    orders = [d for e in verdicts for d in e.differences if d["kind"] == "order"]
    assert len(orders) >= 7  # nine reads of one task with three tags, and more
    assert {d["location"] for d in orders} == {"body.tags"}
    assert {d["noise"] for d in orders} == {"inferred: unstable order"}


def test_lowercased_tags_stay_a_divergence(verdicts: list[ExchangeJudged]) -> None:
    created = [e for e in verdicts if e.method == "POST" and e.path == "/tasks"]
    (row12,) = [e for e in created if any(d["legacy"] == "Work" for d in e.differences)]
    tags = [d for d in row12.differences if d["location"].startswith("body.tags")]
    assert tags
    assert all(d["noise"] is None and d["kind"] == "changed" for d in tags)
    assert row12.classification == "unexplained"
