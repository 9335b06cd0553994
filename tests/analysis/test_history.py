"""Run-over-run cluster status: new, persisting, regressed, and fixed."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.clusters import Observation, cluster
from twinsight.analysis.diff import Difference
from twinsight.analysis.history import (
    FIXED,
    NEW,
    PERSISTING,
    REGRESSED,
    judged_anew,
    mark,
    statuses,
)
from twinsight.store import AnalysisRun, ClusterPast, HistoryRow


def test_each_status_from_the_previous_run_and_those_before() -> None:
    found = statuses(["a", "b", "c"], previous=["a", "d"], earlier=["b", "d", "e"])
    assert found.of == {"a": PERSISTING, "b": REGRESSED, "c": NEW}
    assert found.fixed == ["d"]


def test_the_first_run_finds_everything_new_and_nothing_fixed() -> None:
    found = statuses(["b", "a"], previous=[], earlier=[])
    assert found.of == {"b": NEW, "a": NEW}
    assert found.fixed == []


names = st.sets(st.sampled_from("abcdefgh"))


@given(names, names, names)
def test_statuses_partition_this_run_and_the_previous_one(
    current: set[str], previous: set[str], earlier: set[str]
) -> None:
    found = statuses(current, previous, earlier)
    labelled = [*found.of.items(), *((name, FIXED) for name in found.fixed)]
    assert sorted(name for name, _ in labelled) == sorted(current | previous)
    assert {name for name, status in labelled if status == PERSISTING} == current & previous
    assert {name for name, status in labelled if status == NEW} == current - previous - earlier


@given(names, names)
def test_the_same_run_twice_persists_everything(current: set[str], earlier: set[str]) -> None:
    found = statuses(current, current, earlier)
    assert set(found.of.values()) <= {PERSISTING}
    assert found.fixed == []


def test_mark_sets_each_cluster_status_and_returns_the_rows_now_fixed() -> None:
    header = Difference("headers.server", "changed", "nginx", "caddy")
    (found,) = cluster([Observation("x1", "GET /a", header)], {})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    gone = HistoryRow("c1-0000000000", at, 2, "body.a", "missing", "present -> absent", "d", None)
    fixed = mark([found], ClusterPast({gone.fingerprint: gone}, frozenset({found.fingerprint})))
    assert found.status == REGRESSED
    assert fixed == [gone]


AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_first_run_and_a_run_with_new_exchanges_or_settings_judge_anew() -> None:
    last = AnalysisRun("f1", AT, 40)
    assert judged_anew(None, last)
    assert judged_anew(last, AnalysisRun("f1", AT, 41))  # new exchanges classified
    assert judged_anew(last, AnalysisRun("f2", AT, 40))  # other rules, spec or noise


@given(st.sampled_from(["f1", "f2"]), st.integers(0, 3), st.datetimes())
def test_a_run_is_a_re_read_exactly_when_fingerprint_and_exchanges_are_the_last_runs(
    fingerprint: str, exchanges: int, at: datetime
) -> None:
    run = AnalysisRun(fingerprint, at, exchanges)
    again = (fingerprint, exchanges) == ("f1", 2)
    assert judged_anew(AnalysisRun("f1", AT, 2), run) is not again
