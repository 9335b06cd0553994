"""bench/accuracy.py's pure scoring, on hand-made labels."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from twinsight.examples.tasks.traffic import Step

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "accuracy.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accuracy_scoring", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def judged(bench: ModuleType, number: int, expected: str, got: str, cause: str = "") -> object:
    causes = frozenset({cause}) if cause else frozenset()
    return bench.Judged(number, f"GET /r/{number}", expected, causes, got, f"why {number}")


def test_recall_false_alarms_and_clusters_per_cause(bench: ModuleType) -> None:
    run = [
        judged(bench, 1, "match", "match"),
        judged(bench, 2, "noise", "unexplained"),  # a false alarm
        judged(bench, 3, "noise", "noise"),
        judged(bench, 4, "noise", "match"),  # agreeing either way: no alarm
        judged(bench, 5, "unexplained", "unexplained", cause="a"),
        judged(bench, 6, "unexplained", "regression", cause="a"),  # flagged: caught
        judged(bench, 7, "spec_conflict", "match", cause="b"),  # missed
        judged(bench, 8, "explained", "explained", cause="c"),
    ]
    s = bench.score(run, real_clusters=4)
    assert (s.divergent, s.caught, s.agreeing, s.alarms) == (4, 3, 4, 1)
    assert s.recall == 0.75
    assert s.false_alarms == 0.25
    assert (s.clusters, s.causes) == (4, 3)
    assert s.clusters_per_cause == pytest.approx(4 / 3)
    assert sorted(number for number, *_ in s.wrong) == [2, 4, 6, 7]
    assert (2, "GET /r/2", "noise", "unexplained") in s.wrong
    assert s.reasons[(2, "GET /r/2", "noise", "unexplained")] == "why 2"


def test_runs_add_up(bench: ModuleType) -> None:
    first = bench.score([judged(bench, 1, "noise", "unexplained")], real_clusters=1)
    again = bench.Judged(1, "GET /r/1", "noise", frozenset(), "unexplained", "other values")
    both = bench.score(
        [again, judged(bench, 2, "regression", "match", "x")],
        real_clusters=2,
        into=first,
    )
    assert both is first
    assert (both.agreeing, both.alarms, both.divergent, both.caught) == (2, 2, 1, 0)
    assert both.wrong[(1, "GET /r/1", "noise", "unexplained")] == 2
    assert both.reasons[(1, "GET /r/1", "noise", "unexplained")] == "why 1"  # the first
    assert (both.clusters, both.causes) == (3, 1)


def test_an_empty_run_divides_by_nothing(bench: ModuleType) -> None:
    s = bench.score([], real_clusters=0)
    assert (s.recall, s.false_alarms, s.clusters_per_cause) == (1.0, 0.0, 0.0)


def test_a_cause_is_the_label_and_note_of_a_divergent_step(bench: ModuleType) -> None:
    assert bench.cause_of(Step("GET", "/", expect="noise", note="x")) == frozenset()
    assert bench.cause_of(Step("GET", "/", expect="match")) == frozenset()
    one = bench.cause_of(Step("PATCH", "/a", expect="unexplained", note="row 10"))
    assert len(one) == 1
    assert one == bench.cause_of(Step("PATCH", "/b", expect="unexplained", note="row 10"))
    assert one != bench.cause_of(Step("PATCH", "/b", expect="unexplained", note="row 11"))
