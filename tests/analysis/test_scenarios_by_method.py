"""Scenarios looked up by the request's method apply exactly as when every scenario is asked."""

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.analysis.diff import Message
from twinsight.analysis.scenarios import check_scenarios, scenarios_by_method
from twinsight.examples.tasks import files
from twinsight.spec import load_spec
from twinsight.spec.inputs import RequestView

SPEC = load_spec(files() / "spec.yaml")
BY_METHOD = scenarios_by_method(SPEC)
BODIES = st.sampled_from(
    [{}, {"title": "Buy milk"}, {"title": "x" * 300}, {"status": "done"}, {"error": "Not found"}]
)


@st.composite
def answers(draw: st.DrawFn) -> Message:
    body = dict(draw(BODIES), id=1, status=draw(st.sampled_from(["pending", "completed"])))
    status = draw(st.sampled_from([200, 201, 204, 400, 401, 404, 409]))
    return Message(status, (("Location", "/tasks/1"),), orjson.dumps(body))


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "get", "post"]),
    path=st.sampled_from(["/tasks", "/tasks/1", "/tasks/1/complete", "/health", "/other"]),
    query=st.sampled_from(["", "status=pending"]),
    body=BODIES,
    legacy=answers(),
    candidate=answers(),
)
def test_only_the_methods_scenarios_are_asked_and_the_lines_are_the_same(
    method: str,
    path: str,
    query: str,
    body: dict[str, str],
    legacy: Message,
    candidate: Message,
) -> None:
    request = RequestView.of(method, path, query, (), orjson.dumps(body))
    every = check_scenarios(SPEC, request, legacy, candidate)
    assert check_scenarios(SPEC, request, legacy, candidate, by_method=BY_METHOD) == every


def test_a_scenario_is_listed_under_each_method_it_binds_once() -> None:
    listed = [s.name for scenarios in BY_METHOD.values() for s in scenarios]
    bound = [s.name for s in SPEC.scenarios for _ in {b.method for b in s.when.bindings}]
    assert sorted(listed) == sorted(bound)
