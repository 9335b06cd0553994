"""Drafting a spec from the legacy's answers: the pure core, without servers or stores."""

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.analysis.diff import Message
from twinsight.analysis.drafts import MAX_FIELD_LINES, Observed, draft_spec
from twinsight.analysis.scenarios import check_scenarios, response_variables
from twinsight.spec import Spec, dump_spec, parse_spec
from twinsight.spec.inputs import RequestView

JSON = (("Content-Type", "application/json"),)


def seen(
    method: str, path: str, status: int, body: Any, headers: tuple[tuple[str, str], ...] = JSON
) -> tuple[RequestView, Message]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return RequestView.of(method, path, "", (), b""), Message(status, headers, data)


def observed(pairs: list[tuple[RequestView, Message]]) -> list[Observed]:
    return [Observed(request, response_variables(answer)) for request, answer in pairs]


def lines(spec: Spec, name: str) -> list[tuple[str, str | None]]:
    return [(line.text, line.check) for line in spec.scenario(name).then]


def legacy_failures(spec: Spec, pairs: list[tuple[RequestView, Message]]) -> list[str]:
    """Every drafted line that fails on the legacy answer it was drafted from, as analysis
    checks it (the legacy's answer given as both targets)."""
    return [
        f"{result.scenario}: {result.line}: {result.legacy.reason}"
        for request, answer in pairs
        for result in check_scenarios(spec, request, answer, answer)
        if not result.legacy.passed
    ]


TASKS = [
    seen("GET", "/tasks/1", 200, {"id": 1, "status": "ok", "title": "a", "tags": []}),
    seen("GET", "/tasks/2", 200, {"id": 2, "status": "ok", "title": "b", "n": 1}),
    seen("GET", "/tasks/3", 404, {"error": "no such task"}),
    seen("GET", "/tasks/4", 410, {"error": "gone"}),
]


def test_one_scenario_per_endpoint_and_status_family_with_what_never_varied() -> None:
    draft = draft_spec("Tasks", [("GET", "/tasks/{id}")], observed(TASKS))
    assert draft.exchanges == 4
    assert [s.name for s in draft.spec.scenarios] == [
        "GET /tasks/{id} answered 2xx",
        "GET /tasks/{id} answered 4xx",
    ]
    ok = draft.spec.scenario("GET /tasks/{id} answered 2xx")
    assert ok.when.match == "legacy.status >= 200 && legacy.status < 300"
    assert lines(draft.spec, "GET /tasks/{id} answered 2xx") == [
        ("It answers 200", "response.status == 200"),
        ("It answers application/json", 'response.headers["content-type"] == "application/json"'),
        ("Its body is an object", "type(response.body) == type({})"),
        ("Its body has `id`, a whole number", "type(response.body.id) == type(0)"),
        ('Its `status` is "ok"', 'response.body.status == "ok"'),
        ("Its body has `title`, text", 'type(response.body.title) == type("")'),
    ]  # `tags` and `n` were in one answer only
    assert lines(draft.spec, "GET /tasks/{id} answered 4xx")[0] == (
        "It answers with a 4xx status",
        "response.status >= 400 && response.status < 500",
    )
    assert legacy_failures(draft.spec, TASKS) == []


def test_a_single_answer_gives_types_not_values() -> None:
    pairs = [seen("GET", "/health", 200, {"status": "ok"})]
    spec = draft_spec("x", [("GET", "/health")], observed(pairs)).spec
    assert ("Its body has `status`, text", 'type(response.body.status) == type("")') in lines(
        spec, "GET /health answered 2xx"
    )


def test_times_and_identifiers_that_repeated_are_not_taken_as_values() -> None:
    body = {"at": "2026-11-30T13:42:38Z", "ref": "0b5e9a1c-7f2d-4d7b-9b1e-3c2a1f0e9d8c"}
    pairs = [seen("GET", "/a", 200, body), seen("GET", "/a", 200, body)]
    checks = [
        c
        for _, c in lines(
            draft_spec("x", [("GET", "/a")], observed(pairs)).spec, "GET /a answered 2xx"
        )
    ]
    assert 'type(response.body.at) == type("")' in checks
    assert 'type(response.body.ref) == type("")' in checks


def test_xml_fields_odd_names_and_nested_maps_are_selected_as_cel_reads_them() -> None:
    xml = b'<order kind="gift"><total currency="EUR">12.50</total></order>'
    headers = (("Content-Type", "application/xml"),)
    pairs = [seen("GET", "/o", 200, xml, headers), seen("GET", "/o", 200, xml, headers)]
    spec = draft_spec("x", [("GET", "/o")], observed(pairs)).spec
    checks = [c for _, c in lines(spec, "GET /o answered 2xx")]
    assert 'response.body.order["@"].kind == "gift"' in checks
    assert 'response.body.order.total["#text"] == "12.50"' in checks
    assert legacy_failures(spec, pairs) == []


def test_a_trailing_slash_is_its_own_endpoint() -> None:
    pairs = [seen("GET", "/v1/", 200, {"a": 1}), seen("GET", "/v1", 301, b"")]
    spec = draft_spec("x", [("GET", "/v1/"), ("GET", "/v1")], observed(pairs)).spec
    assert [s.name for s in spec.scenarios] == ["GET /v1/ answered 2xx", "GET /v1 answered 3xx"]
    assert lines(spec, "GET /v1 answered 3xx")[-1] == (
        "Its body is empty or not text",
        "type(response.body) == type(null)",
    )


def test_a_binding_accepting_another_endpoints_requests_drafts_from_them_too() -> None:
    # `/tasks/{id}` also accepts `/tasks/special`: its lines must hold there as well.
    pairs = [
        seen("GET", "/tasks/1", 200, {"id": 1, "kind": "task"}),
        seen("GET", "/tasks/2", 200, {"id": 2, "kind": "task"}),
        seen("GET", "/tasks/special", 200, {"kind": "list"}),
    ]
    bindings = [("GET", "/tasks/{id}"), ("GET", "/tasks/special")]
    spec = draft_spec("x", bindings, observed(pairs)).spec
    assert lines(spec, "GET /tasks/{id} answered 2xx")[-1] == (
        "Its body has `kind`, text",
        'type(response.body.kind) == type("")',
    )
    assert legacy_failures(spec, pairs) == []


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(-1e6, 1e6)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "status", "in", "a-b", "@", "x"]), inner, max_size=4
        )
    ),
    max_leaves=10,
)
answers = st.tuples(
    st.sampled_from(["GET", "POST"]),
    st.sampled_from(["/tasks/1", "/tasks/2", "/tasks/", "/tasks", "/"]),
    st.sampled_from([200, 201, 204, 301, 400, 404, 500]),
    json_values | st.sampled_from([b"", b"plain text", b"\xff\xfe", b"<a x='1'><b>2</b></a>"]),
    st.sampled_from([JSON, (("Content-Type", "application/json; charset=utf-8"),), ()]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(answers, min_size=1, max_size=12))
def test_any_draft_loads_round_trips_and_holds_on_the_legacy(
    generated: list[tuple[str, str, int, Any, tuple[tuple[str, str], ...]]],
) -> None:
    pairs = [seen(m, p, s, b, h) for m, p, s, b, h in generated]
    bindings = sorted({(m, t) for m, p, *_ in generated for t in (p, "/tasks/{id}")})
    spec = draft_spec("Generated", bindings, observed(pairs)).spec
    text = dump_spec(spec, header="a draft")
    assert parse_spec(text) == spec
    assert legacy_failures(spec, pairs) == []


def test_fields_past_the_limit_are_counted_not_dropped_in_silence() -> None:
    body = {f"f{i:02}": i for i in range(MAX_FIELD_LINES + 5)}
    pairs = [seen("GET", "/wide", 200, body), seen("GET", "/wide", 200, body)]
    spec = draft_spec("x", [("GET", "/wide")], observed(pairs)).spec
    drafted = lines(spec, "GET /wide answered 2xx")
    assert drafted[-1] == ("and 5 more field(s) the legacy always answered, not drafted", None)
    assert sum(1 for _, check in drafted if check and "response.body.f" in check) == MAX_FIELD_LINES
