"""The legacy's evidence read in parts: contiguous parts of the stream read apart (in other
processes too) and merged in stream order show what one pass over the whole stream shows."""

import random
from collections.abc import Sequence
from hashlib import sha256
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis import service, workers
from twinsight.analysis.diff import Message
from twinsight.analysis.inference import TokenEvidence
from twinsight.analysis.judge import Judge
from twinsight.analysis.load import read_exchanges
from twinsight.analysis.order import OrderEvidence
from twinsight.analysis.pipeline import LegacyEvidence, LegacyTally
from twinsight.config import Config
from twinsight.store import Store
from twinsight.testing import get_item, write_store

T = TypeVar("T")
ENDPOINTS = ("GET /a", "GET /a/{id}", "GET /b")
TOKENS = ("9f86d081884c7d65", "2c26b46b68ffc68f", "fcde2b2edba56bf4", "a4c9e1f07b3d5286")


def split(items: Sequence[T], cuts: list[int]) -> list[Sequence[T]]:
    """`items` cut into contiguous parts at `cuts` (positions, any order, repeats: empty parts)."""
    bounds = [0, *sorted(c % (len(items) + 1) for c in cuts), len(items)]
    return [items[a:b] for a, b in pairwise(bounds)]


# order: (endpoint, request, group, the list's items)
lists = st.tuples(
    st.sampled_from(ENDPOINTS),
    st.sampled_from([b"r1", b"r2"]),
    st.sampled_from(["body.x", "body.y"]),
    st.lists(st.sampled_from([b"1", b"2", b"3"]), min_size=2, max_size=3),
)


def order_of(observations: Sequence[tuple[str, bytes, str, list[bytes]]]) -> OrderEvidence:
    evidence = OrderEvidence()
    for endpoint, request, group, keys in observations:
        evidence.observe_lists(endpoint, request, [(group, keys)])
    return evidence


@given(st.lists(lists, max_size=30), st.lists(st.integers(0, 30), max_size=4))
def test_order_read_in_parts_and_merged_is_one_pass(
    observations: list[tuple[str, bytes, str, list[bytes]]], cuts: list[int]
) -> None:
    merged = OrderEvidence()
    for part in split(observations, cuts):
        merged.merge(order_of(part))
    assert merged.unstable() == order_of(observations).unstable()


def test_a_request_first_answered_in_one_order_per_part_is_unstable_once_merged() -> None:
    first, later = order_of([("GET /a", b"r", "body.x", [b"1", b"2"])]), OrderEvidence()
    later.observe_lists("GET /a", b"r", [("body.x", [b"2", b"1"])])
    assert first.unstable().locations == later.unstable().locations == frozenset()
    first.merge(later)
    assert first.unstable().locations == {("GET /a", "body.x")}


# tokens: (endpoint, location -> the tokens served there in one answer)
answers = st.tuples(
    st.sampled_from(ENDPOINTS),
    st.dictionaries(
        st.sampled_from("xyz"), st.lists(st.sampled_from(TOKENS), min_size=1, max_size=2)
    ),
)


def tokens_of(observations: Sequence[tuple[str, dict[str, list[str]]]]) -> TokenEvidence:
    evidence = TokenEvidence()
    for endpoint, body in observations:
        evidence.observe(endpoint, Message(200, body=orjson.dumps(body)))
    return evidence


@given(st.lists(answers, max_size=20), st.lists(st.integers(0, 20), max_size=4))
def test_tokens_read_in_parts_and_merged_are_one_pass(
    observations: list[tuple[str, dict[str, list[str]]]], cuts: list[int]
) -> None:
    merged = TokenEvidence()
    for part in split(observations, cuts):
        merged.merge(tokens_of(part))
    assert merged.repeated() == tokens_of(observations).repeated()


def test_a_token_served_once_in_each_of_two_parts_is_repeated_once_merged() -> None:
    first = tokens_of([("GET /a", {"x": [TOKENS[0], TOKENS[0]]})])  # twice in one answer: once
    later = tokens_of([("GET /a", {"x": [TOKENS[0]]})])
    assert first.repeated() == later.repeated() == {}
    first.merge(later)
    assert first.repeated() == {"GET /a": frozenset({"body.x[*]"})}


def legacy_answers(n: int, seed: int) -> list[Any]:
    """Items a legacy answers with a tag set in a random order, an etag that is a digest of the
    item and a fresh nonce; a candidate that agrees."""
    rng = random.Random(seed)
    found = []
    for i in range(n):
        item = i % 7
        tags = ["a", "b", "c"]
        rng.shuffle(tags)
        etag, nonce = (sha256(text.encode()).hexdigest()[:16] for text in (f"{item}", f"n{i}"))
        body = {"item": item, "tags": tags, "etag": etag, "nonce": nonce}
        found.append(get_item(item, {"legacy": body, "candidate": body}))
    return found


def evidence_both_ways(
    store: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> tuple[LegacyEvidence, LegacyEvidence]:
    """(one pass, read in `count` worker processes)."""
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    with Store.open(store, None) as opened:
        endpoints = service.endpoints_of(opened, None)
        whole = LegacyTally()
        whole.add(read_exchanges(opened), endpoints)
        alone = whole.evidence()
        run = service._Run(store, None, store.parent, count, {})
        parts = service._parts(opened, Judge(), endpoints, run, only_new=False)
    assert len(parts) == count
    return alone, workers.evidence_parts(parts).evidence()


@pytest.mark.parametrize("count", [2, 3])
def test_the_evidence_read_in_worker_processes_is_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    store = tmp_path / "s.duckdb"
    # Each request once per part: what shows the evidence lies across the parts only.
    write_store(store, legacy_answers(12, seed=count))
    alone, parallel = evidence_both_ways(store, monkeypatch, count)
    assert alone.unstable.locations == {("GET /items/{id}", "body.tags")}
    assert alone.repeated == {"GET /items/{id}": frozenset({"body.etag"})}
    assert parallel == alone


def test_analyze_reads_the_evidence_in_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    read: list[int] = []

    def in_parts(parts: Sequence[workers.Part]) -> Any:
        read.append(len(parts))
        return workers.evidence_parts(parts)

    monkeypatch.setattr(service, "evidence_parts", in_parts)
    store = tmp_path / "s.duckdb"
    write_store(store, legacy_answers(12, seed=1))
    service.analyze_store(store, None, config=Config(), spec=None, workers=2)
    assert read == [2]
