"""The noisy example (`--noisy`) with zero config: the legacy serves tags as a set in random
order, so every `body.tags` order difference is inferred noise, and the planted change of the
tags themselves (row 12: lowercased) stays a real divergence."""

import asyncio

import pytest

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.demo import capture_example_session
from twinsight.events import ExchangeJudged
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import NOISY_SESSION
from twinsight.spec import load_spec


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> list[ExchangeJudged]:
    store = tmp_path_factory.mktemp("noisy") / "run.duckdb"
    asyncio.run(capture_example_session(store, NOISY_SESSION, noisy=True))
    seen: list[ExchangeJudged] = []
    spec = load_spec(files() / "spec.yaml")
    analyze_store(store, None, config=Config(), spec=spec, on_judged=seen.append)
    return seen


def test_tags_in_random_order_are_inferred_noise(verdicts: list[ExchangeJudged]) -> None:
    orders = [d for e in verdicts for d in e.differences if d["kind"] == "order"]
    # Nine reads of a task with three tags: each read's two orders agree by chance one time
    # in six, so expect about 7.5 order differences; 3 keeps the test from failing by chance.
    assert len(orders) >= 3
    assert {d["location"] for d in orders} == {"body.tags"}
    assert {d["noise"] for d in orders} == {"inferred: unstable order"}


def test_lowercased_tags_stay_a_divergence(verdicts: list[ExchangeJudged]) -> None:
    created = [e for e in verdicts if e.method == "POST" and e.path == "/tasks"]
    (row12,) = [e for e in created if any(d["legacy"] == "Work" for d in e.differences)]
    tags = [d for d in row12.differences if d["location"].startswith("body.tags")]
    assert tags
    assert all(d["noise"] is None and d["kind"] == "changed" for d in tags)
    assert row12.classification == "unexplained"
