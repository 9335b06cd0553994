import pytest

from twinsight.spec import RequestBinding, parse_spec


def binding(**conditions: object) -> RequestBinding:
    return RequestBinding.model_validate({"method": "get", "path": "/tasks/{id}", **conditions})


def test_method_is_normalised_and_path_params_returned() -> None:
    assert binding().method == "GET"
    assert binding().accepts("GET", "/tasks/7", {}, {}, None) == {"id": "7"}
    assert binding().accepts("POST", "/tasks/7", {}, {}, None) is None
    assert binding().accepts("GET", "/tasks", {}, {}, None) is None


@pytest.mark.parametrize(
    ("conditions", "query", "headers", "body", "accepted"),
    [
        ({"query": {"status": "pending"}}, {"status": "pending"}, {}, None, True),
        ({"query": {"status": "pending"}}, {"status": "done"}, {}, None, False),
        ({"query": {"status": "*"}}, {"status": "x"}, {}, None, True),
        ({"query": {"status": "*"}}, {}, {}, None, False),
        ({"headers": {"X-Tenant": "a"}}, {}, {"x-tenant": "a"}, None, True),
        ({"headers": {"X-Tenant": "a"}}, {}, {}, None, False),
        ({"body": {"task.kind": "bug"}}, {}, {}, {"task": {"kind": "bug"}}, True),
        ({"body": {"task.kind": "bug"}}, {}, {}, {"task": {"kind": "idea"}}, False),
        ({"body": {"task.kind": None}}, {}, {}, {"task": {}}, False),
        ({"body": {"task.kind": "bug"}}, {}, {}, ["not", "a", "mapping"], False),
    ],
)
def test_conditions(
    conditions: dict[str, object],
    query: dict[str, str],
    headers: dict[str, str],
    body: object,
    accepted: bool,
) -> None:
    assert (
        binding(**conditions).accepts("GET", "/tasks/1", query, headers, body) is not None
    ) is accepted


def test_accepted_rule_parts() -> None:
    spec = parse_spec(
        "feature: x\naccepted:\n  - where: GET /tasks/{id} body.created_at\n    why: y\n"
        "  - where: headers.etag\n    why: z\n"
    )
    first, second = spec.accepted
    assert (first.method, first.path, first.location) == ("GET", "/tasks/{id}", "body.created_at")
    assert (second.method, second.path, second.location) == (None, None, "headers.etag")


MANY = """
feature: Tasks
scenarios:
  - name: A task is read
    when:
      text: I read a task, or only its headers
      request:
        - {method: GET, path: "/tasks/{id}"}
        - {method: HEAD, path: "/tasks/{id}", headers: {accept: "*"}}
    then:
      - It is there: response.status == 200
"""


def test_a_scenario_may_bind_several_requests() -> None:
    (scenario,) = parse_spec(MANY).scenarios
    when = scenario.when
    assert [b.method for b in when.bindings] == ["GET", "HEAD"]
    assert when.accepts("GET", "/tasks/3", {}, {}, None) == {"id": "3"}
    assert when.accepts("HEAD", "/tasks/3", {}, {"accept": "x"}, None) == {"id": "3"}
    # Each binding keeps its own conditions: HEAD without an Accept header is not covered.
    assert when.accepts("HEAD", "/tasks/3", {}, {}, None) is None
    assert when.accepts("DELETE", "/tasks/3", {}, {}, None) is None


def test_one_binding_is_still_one() -> None:
    head = '\n        - {method: HEAD, path: "/tasks/{id}", headers: {accept: "*"}}'
    one = MANY.replace(head, "")
    (scenario,) = parse_spec(one.replace("request:\n        - {", "request: {")).scenarios
    assert isinstance(scenario.when.request, RequestBinding)
    assert scenario.when.bindings == (scenario.when.request,)


def test_an_unbound_when_has_no_bindings() -> None:
    text = "feature: x\nscenarios:\n  - name: a\n    when: w\n    then: t\n"
    (scenario,) = parse_spec(text).scenarios
    assert scenario.when.bindings == ()
    assert scenario.when.accepts("GET", "/", {}, {}, None) is None


def test_bindings_serialize_as_written() -> None:
    # Analysis fingerprints a spec by its JSON dump: one binding and a list both dump cleanly.
    (scenario,) = parse_spec(MANY).scenarios
    dumped = scenario.when.model_dump(mode="json")
    assert [b["method"] for b in dumped["request"]] == ["GET", "HEAD"]
    one = scenario.when.model_copy(update={"request": scenario.when.bindings[0]})
    assert one.model_dump(mode="json")["request"]["path"] == "/tasks/{id}"
