"""What a store says was answered, and by whom: one pass, the counts as defined one by one."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinsight.records import Exchange
from twinsight.store import Store
from twinsight.testing import answer, get_item, write_store

TARGETS = ("legacy", "replica", "candidate", "next")

stores = st.lists(
    st.tuples(st.sets(st.sampled_from(TARGETS)), st.integers(min_value=-1, max_value=15)),
    max_size=16,
)


def exchanges(drawn: list[tuple[set[str], int]]) -> list[Exchange]:
    """Exchange i answered by its targets; a replay of exchange `origin` when that is >= 0."""
    found = []
    for i, (targets, origin) in enumerate(drawn):
        item = get_item(i, {})
        item = replace(item, id=f"x{i:02}", responses=tuple(answer(t, i) for t in sorted(targets)))
        found.append(replace(item, origin=f"x{origin:02}") if origin >= 0 else item)
    return found


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=stores)
def test_unanswered_and_legacy_only_counts_are_those_of_each_exchange(
    tmp_path_factory: pytest.TempPathFactory, drawn: list[tuple[set[str], int]]
) -> None:
    folder = tmp_path_factory.mktemp("s")
    written = exchanges(drawn)
    write_store(folder / "s.duckdb", written)
    origins = {e.origin for e in written if e.origin}
    answered = [(e.id, {r.target for r in e.responses}) for e in written]
    compared = [(id_, bool(by - {"legacy", "replica"})) for id_, by in answered if by]
    with Store.open(folder / "s.duckdb", None) as store:
        context = store.comparability()
    assert context.unanswered == sum(not by for _, by in answered)
    assert context.unreplayed == sum(not seen and id_ not in origins for id_, seen in compared)
    assert context.replayed_recordings == sum(not seen and id_ in origins for id_, seen in compared)
