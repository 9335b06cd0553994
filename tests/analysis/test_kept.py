"""Evidence kept from one analysis to the next: the facts a tally keeps, taken back in any
order and added to, show what one pass over the whole stream shows."""

import random
from collections import Counter
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.endpoints import Endpoints
from twinsight.analysis.inference import TokenEvidence
from twinsight.analysis.kept import Kept, kept_version, legacy_fingerprint, notes_digest
from twinsight.analysis.kept_fact import Fact
from twinsight.analysis.order import OrderEvidence
from twinsight.analysis.pipeline import LegacyTally, ReplicaTally
from twinsight.store import EvidenceRow, EvidenceRun
from twinsight.store.kept import KeptEvidence

from .test_evidence_parts import answers, lists, order_of, tokens_of


def shuffled(facts: Sequence[Fact], seed: int) -> list[Fact]:
    """`facts` in another order: a table gives its rows back in none in particular."""
    found = list(facts)
    random.Random(seed).shuffle(found)
    return found


@given(st.lists(lists, max_size=30), st.integers(0, 30), st.integers())
def test_order_kept_then_added_to_is_one_pass(
    observations: list[tuple[str, bytes, str, list[bytes]]], cut: int, seed: int
) -> None:
    restored = OrderEvidence()
    for fact in shuffled(list(order_of(observations[:cut]).facts()), seed):
        assert restored.restore(fact)
    restored.merge(order_of(observations[cut:]))
    assert restored.unstable() == order_of(observations).unstable()


@given(st.lists(answers, max_size=20), st.integers(0, 20), st.integers())
def test_tokens_kept_then_added_to_are_one_pass(
    observations: list[tuple[str, dict[str, list[str]]]], cut: int, seed: int
) -> None:
    restored = TokenEvidence()
    for fact in shuffled(list(tokens_of(observations[:cut]).facts()), seed):
        assert restored.restore(fact)
    restored.merge(tokens_of(observations[cut:]))
    assert restored.repeated() == tokens_of(observations).repeated()


def test_a_token_kept_and_served_again_is_repeated() -> None:
    kept = tokens_of([("GET /a", {"x": ["9f86d081884c7d65"]})])
    restored = TokenEvidence()
    for fact in kept.facts():
        restored.restore(fact)
    restored.merge(tokens_of([("GET /a", {"x": ["9f86d081884c7d65"]})]))
    assert restored.repeated() == {"GET /a": frozenset({"body.x[*]"})}


keys = st.tuples(st.sampled_from(["GET /a", "GET /b"]), st.sampled_from(["body.x", "status"]))


@given(
    st.dictionaries(keys, st.integers(1, 9)),
    st.dictionaries(keys, st.integers(1, 9)),
    st.sets(keys),
    st.integers(),
)
def test_the_replica_counts_kept_are_taken_back_whole(
    raw: dict[tuple[str, str], int],
    noise: dict[tuple[str, str], int],
    volatile: set[tuple[str, str]],
    seed: int,
) -> None:
    totals = Counter({endpoint: 10 for endpoint, _ in [*raw, *noise, *volatile]})
    tally = ReplicaTally(Counter(raw), Counter(noise), volatile, totals)
    restored = ReplicaTally()
    for fact in shuffled(list(tally.facts()), seed):
        assert restored.restore(fact)
    assert restored == tally


def kept(
    facts: list[Fact], legacy: str = "L", replica: str | None = "R", version: str | None = None
) -> KeptEvidence:
    run = EvidenceRun(version or kept_version(), legacy, replica, 7, notes_digest({}))
    return KeptEvidence(run, (EvidenceRow(*fact) for fact in facts))


def test_kept_tallies_are_used_only_with_the_fingerprints_they_were_read_with() -> None:
    facts: list[Fact] = [
        ("list", None, "body.items.item", None, None, None),
        ("replica total", "GET /a", None, None, None, 3),
    ]
    restored = Kept.restored(kept(facts), Endpoints())
    assert restored.covered == 7
    found = restored.legacy_for("L")
    assert found is not None
    assert found.lists == {"body.items.item"}
    assert restored.legacy_for("other") is None  # the legacy's evidence is read anew
    assert restored.replica_for("R") == ReplicaTally(totals=Counter({"GET /a": 3}))
    assert restored.replica_for("other") is None  # the replica's counts are counted anew
    assert Kept.restored(kept(facts, version="older"), Endpoints()) == Kept()  # read everything
    assert Kept.restored(None, Endpoints()) == Kept()


def test_a_fact_of_another_layout_reads_everything_again() -> None:
    facts: list[Fact] = [
        ("path", None, "", None, None, 2),
        ("list", None, "body.a", None, None, None),
        ("new", "x", "y", None, None, 1),
    ]
    endpoints = Endpoints()
    assert Kept.restored(kept(facts), endpoints) == Kept()
    assert list(endpoints.facts()) == [("path", None, "", None, None, 0)]  # nothing restored


paths = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["records", "a", "b", "c", "d", "e", "f", "", "17"]), max_size=3),
        st.integers(1, 3),
    ),
    max_size=25,
)


@given(paths, st.integers(0, 25), st.integers())
def test_paths_kept_then_learned_name_as_learning_them_all(
    learned: list[tuple[list[str], int]], cut: int, seed: int
) -> None:
    counted = [("/" + "/".join(segments), times) for segments, times in learned]
    whole = Endpoints()
    whole.learn_paths(counted)
    first = Endpoints()
    first.learn_paths(counted[:cut])
    restored = Endpoints()
    for fact in shuffled(list(first.facts()), seed):
        assert restored.restore(fact)
    restored.learn_paths(counted[cut:])
    assert restored.naming() == whole.naming()
    for path, _ in counted:
        assert restored.of("GET", path) == whole.of("GET", path)


def test_the_legacy_fingerprint_changes_when_an_earlier_request_would_be_named_otherwise() -> None:
    few = Endpoints()
    few.learn([("GET", "/records/intro"), ("GET", "/records/tips")])
    many = Endpoints()
    many.learn([("GET", f"/records/{name}") for name in ("intro", "tips", "faq", "a", "b")])
    assert few.of("GET", "/records/intro") == "GET /records/intro"
    assert many.of("GET", "/records/intro") == "GET /records/{id}"
    assert legacy_fingerprint(few) != legacy_fingerprint(many)
    more = Endpoints()
    more.learn([("GET", "/records/intro"), ("GET", "/records/tips"), ("GET", "/health")])
    assert legacy_fingerprint(more) == legacy_fingerprint(few)  # a new path names none anew


def test_a_legacy_tally_keeps_its_lists_order_and_tokens() -> None:
    tally = LegacyTally(order_of([("GET /a", b"r", "body.x", [b"1", b"2"])]))
    tally.tokens = tokens_of([("GET /a", {"x": ["9f86d081884c7d65"]})])
    tally.lists = {"body.items.item"}
    restored = LegacyTally()
    for fact in tally.facts():
        assert restored.restore(fact)
    assert sorted(restored.facts(), key=repr) == sorted(tally.facts(), key=repr)
