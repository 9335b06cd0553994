from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.examples.tasks import files
from twinsight.spec import CheckMemo, Evaluation, Reads, load_spec, spec_reads

TRICKY = [
    "response.body.tasks.all(t, t.status == request.query.status)",
    "has(response.body.title) && response.body.title != 'response.body.secret'",
    'response.headers["location"].startsWith("/tasks/")',
    "response['body'] != null",
    "size(response.body) > 1",
    "legacy == response",
    "response.body.tasks[0].id == 1",
    "response.headers.exists(h, h == 'x-id')",
]

scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["pending", "done", "x"])
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "status", "title", "tasks", "secret"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)
answers = st.fixed_dictionaries(
    {
        "status": st.sampled_from([200, 201, 404, 409]),
        "headers": st.dictionaries(st.sampled_from(["location", "x-id"]), st.just("/tasks/1")),
        "body": values,
    }
)
requests = st.fixed_dictionaries(
    {
        "query": st.dictionaries(st.just("status"), st.sampled_from(["pending", "done"])),
        "body": values,
        "method": st.just("GET"),
    }
)


def spec_and_tricky_sources() -> list[str]:
    """Every match and then expression of the example spec, and the tricky ones above."""
    sources = [*TRICKY]
    for scenario in load_spec(files() / "spec.yaml").scenarios:
        sources += [scenario.when.match] if scenario.when.match else []
        sources += [line.check for line in scenario.then if line.check]
    return sources


def same_results(sources: list[str], variables: dict[str, Any]) -> None:
    full = Evaluation(variables)
    together = Evaluation(Reads.of(sources).prune(variables))
    for source in sources:
        # alone, so that no other expression's whole reads hide a chain this one misses
        alone = Evaluation(Reads.of([source]).prune(variables))
        assert full.check(source) == alone.check(source) == together.check(source), source


@given(requests, answers, answers)
def test_pruned_variables_give_the_same_results_as_whole_ones(
    request: dict[str, Any], response: dict[str, Any], legacy: dict[str, Any]
) -> None:
    same_results(
        spec_and_tricky_sources(), {"request": request, "response": response, "legacy": legacy}
    )


MEMO = CheckMemo(max_entries=500)  # shared across examples, as across a run's exchanges


@given(st.lists(st.tuples(requests, answers, answers), min_size=1, max_size=4))
def test_memoised_results_equal_fresh_ones(
    exchanges: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
) -> None:
    sources = spec_and_tricky_sources()
    for request, response, legacy in exchanges:
        variables = {"request": request, "response": response, "legacy": legacy}
        for source in sources:
            fresh = Evaluation(variables).check(source)
            assert MEMO.check(Evaluation(variables), source) == fresh, source


def test_the_memo_is_bounded() -> None:
    memo = CheckMemo(max_entries=3)
    for status in range(10):
        memo.check(Evaluation({"response": {"status": status}}), "response.status == 200")
    assert len(memo.results) <= 3


def test_what_is_kept() -> None:
    reads = Reads.of(["response.body.title == 'x'", "has(request.query.status)"])
    variables = {
        "response": {"status": 200, "body": {"title": "x", "big": list(range(100))}},
        "request": {"query": {}, "body": {"a": 1}},
        "legacy": {"status": 200},
    }
    assert reads.prune(variables) == {
        "response": {"body": {"title": "x"}},
        "request": {"query": {}},
    }


def test_the_example_spec_reads_little() -> None:
    reads = spec_reads(load_spec(files() / "spec.yaml").scenarios)
    assert ("response", "status") in reads.chains
    assert not {"response", "request", "legacy"} & reads.whole
