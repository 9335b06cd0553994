"""The state machine against the example services: the invalid-transition divergences as a
short sequence, and the same seed giving the same sequence."""

import functools
import time

from tests.explore.conftest import AUTH, CLASSIFY, SPEC
from twinsight.explore import Driver, Finding, Limits, Progress, finding_lines
from twinsight.explore.operations import operations, vocabulary
from twinsight.explore.search import _Search, explore_sequences

SEED = 5


def sequence(driver: Driver, seed: int = SEED) -> Finding | None:
    # A budget no run nears: the seed alone decides how far the sequence shrinks.
    progress = Progress(deadline=time.monotonic() + 120, grace=60)
    words = functools.partial(vocabulary, SPEC)
    return explore_sequences(operations(SPEC), driver, Limits(seed=seed), progress, words)


def test_a_short_sequence_shows_the_invalid_transition(driver: Driver) -> None:
    found = sequence(driver)
    assert found is not None
    assert found.unshrunk == ""
    classification, reason = found.verdict
    steps = [(o.step.method, o.step.path, o.step.query) for o in found.steps]
    assert len(steps) <= 4, steps
    assert steps[0][:2] == ("POST", "/tasks")
    assert any(method == "PATCH" for method, _, _ in steps)
    if classification == "regression":  # the pending filter lists in-progress tasks
        assert reason.startswith("List tasks filtered by status")
        assert steps[-1] == ("GET", "/tasks", "status=pending")
    else:  # completing a cancelled task: both refuse, in words the spec does not use
        assert classification == "spec_conflict"
        assert steps[-1][0] == "POST"
        assert steps[-1][1].endswith("/complete")
    shown = finding_lines(1, found)
    assert shown[0].startswith(f"divergence 1: {classification} in sequence: ")
    assert shown[1].startswith("  1. POST /tasks {")
    assert shown[2].startswith("     legacy:    201 ")


def test_the_same_seed_gives_the_same_sequence(services: tuple[str, str]) -> None:
    runs = []
    for _ in range(2):
        # Each sequence deletes what it created: the second run starts from the same data.
        with Driver(services, CLASSIFY, headers=AUTH) as driver:
            found = sequence(driver)
        assert found is not None
        runs.append([(o.step.method, o.step.query, o.step.payload) for o in found.steps])
    assert runs[0] == runs[1]


def test_a_shrink_past_its_grace_is_cut(driver: Driver) -> None:
    # `left` never goes below 0, and the time past the deadline was read from it: a shrink
    # was never stopped, whatever the budget, and never said so.
    progress = Progress(deadline=time.monotonic() - 5, grace=1)
    search = _Search(driver, progress, lambda _: None, frozenset())
    assert not search.begin("before a divergence")  # the budget is spent
    search.failing = True
    assert not search.begin("shrinking, 5 s past the deadline")
    assert search.cut
    progress.deadline = time.monotonic()
    search.cut = False
    assert search.begin("shrinking, within its grace")
    assert not search.cut
