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
