"""Proposals: scenarios that pin the legacy's behaviour where the candidate differs."""

from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.jsondiff import render_path
from twinsight.analysis.proposals import Before, Case, Seen, propose
from twinsight.analysis.proposals.celpath import ANY, parse_location
from twinsight.analysis.proposals.service import ProposalRun, proposal_file
from twinsight.analysis.scenarios import check_scenarios
from twinsight.spec import Spec, dump_spec, parse_spec
from twinsight.spec.inputs import RequestView

JSON = (("Content-Type", "application/json"),)


def seen(
    method: str, path: str, body: Any, legacy: tuple[int, Any], candidate: tuple[int, Any]
) -> Seen:
    def message(status: int, document: Any) -> Message:
        return Message(status, JSON, b"" if document is None else orjson.dumps(document))

    raw = b"" if body is None else orjson.dumps(body)
    request = RequestView.of(method, path, "", JSON, raw)
    return Seen(f"x{path}{method}", request, message(*legacy), message(*candidate))


def case(location: str, kind: str, *examples: Seen, **more: Any) -> Case:
    fields: dict[str, Any] = {"endpoints": ("GET /tasks",), "pattern": "", "count": 1, "share": 0.5}
    return Case(
        fingerprint="c1-0000000000",
        location=location,
        kind=kind,
        examples=examples,
        **(fields | more),
    )


def written(spec: Spec) -> Spec:
    """`spec` as the proposal file holds it, read back as `spec check` reads it."""
    return parse_spec(dump_spec(spec))


def outcome(spec: Spec, example: Seen) -> tuple[bool, bool]:
    """(legacy passes every line, candidate passes every line) of `spec` on `example`."""
    results = check_scenarios(spec, example.request, example.legacy, example.candidate)
    assert results, "the proposal applies to its own example"
    return all(r.legacy.passed for r in results), all(r.candidate.passed for r in results)


def test_a_status_cluster_pins_the_legacy_status_in_its_branch() -> None:
    example = seen("DELETE", "/tasks/5", None, (404, {"error": "Task not found"}), (204, None))
    before = Before("DELETE", "DELETE /tasks/{id}", 204)
    found, skipped = propose(
        [case("status", "changed", example, endpoints=("DELETE /tasks/{id}",), before=(before,))],
        None,
    )
    assert skipped == []
    (proposal,) = found
    scenario = proposal.scenario
    assert scenario.name == "DELETE /tasks/{id} answers 404 as the legacy does"
    assert scenario.when.match == "legacy.status == 404"
    assert [line.check for line in scenario.then] == ["response.status == 404"]
    assert [line.text for line in scenario.given] == [
        "DELETE /tasks/{id} was sent on it earlier (answered 204)"
    ]
    assert proposal.catches
    spec = written(Spec(feature="proposed", scenarios=(scenario,)))
    assert outcome(spec, example) == (True, False)  # merged: a regression, not unexplained


def test_the_inputs_that_define_a_cluster_bind_its_request() -> None:
    title = "é" * 200
    example = seen("POST", "/tasks", {"title": title, "done": False}, (400, {}), (201, {"id": 1}))
    plain = seen("POST", "/tasks", {"title": "milk"}, (400, {}), (400, {}))
    (proposal,), _ = propose(
        [
            case(
                "status",
                "changed",
                example,
                endpoints=("POST /tasks",),
                features=frozenset({"long", "unicode"}),
            )
        ],
        None,
    )
    when = proposal.scenario.when
    assert "a long, non-ASCII body.title (over 100 characters)" in when.text
    assert when.match is not None
    assert "size(request.body.title) > 100" in when.match
    spec = written(Spec(feature="proposed", scenarios=(proposal.scenario,)))
    assert outcome(spec, example) == (True, False)
    assert not check_scenarios(spec, plain.request, plain.legacy, plain.candidate)


def test_body_locations_are_pinned_by_kind() -> None:
    example = seen(
        "GET",
        "/tasks",
        None,
        (200, {"tasks": [{"status": "pending"}], "count": 1, "owner": "a"}),
        (200, {"tasks": [{"status": "in_progress"}], "count": 2, "extra": True}),
    )
    cases = [
        case("body.tasks[*].status", "changed", example, followers=(("body.count", "changed"),)),
        case("body.owner", "missing", example),
        case("body.extra", "extra", example),
    ]
    found, _ = propose(cases, None)
    checks = [[line.check for line in p.scenario.then] for p in found]
    assert checks == [
        [
            "response.status == 200",
            "response.body.tasks.map(x, x.status) == legacy.body.tasks.map(x, x.status)",
            "response.body.count == legacy.body.count",
        ],
        ["response.status == 200", "has(response.body.owner)"],
        ["response.status == 200", "!has(response.body.extra)"],
    ]
    assert all(p.catches for p in found)
    spec = written(Spec(feature="proposed", scenarios=tuple(p.scenario for p in found)))
    assert outcome(spec, example) == (True, False)


def test_items_gone_or_added_pin_the_lists_length() -> None:
    example = seen("GET", "/tasks", None, (200, {"tasks": [1, 2]}), (200, {"tasks": [1, 2, 3]}))
    (proposal,), _ = propose([case("body.tasks[*]", "extra", example)], None)
    assert [(line.text, line.check) for line in proposal.scenario.then][-1] == (
        "body.tasks has as many items as the legacy's",
        "size(response.body.tasks) == size(legacy.body.tasks)",
    )
    assert proposal.catches


def test_a_cluster_on_several_endpoints_binds_each() -> None:
    example = seen("GET", "/tasks", None, (200, {"v": 1}), (200, {"v": 2}))
    (proposal,), _ = propose(
        [case("body.v", "changed", example, endpoints=("GET /tasks", "HEAD /tasks"))], None
    )
    assert [(b.method, b.path) for b in proposal.scenario.when.bindings] == [
        ("GET", "/tasks"),
        ("HEAD", "/tasks"),
    ]


def test_a_line_the_legacy_fails_keeps_its_words_only() -> None:
    # The header is absent from this legacy answer: pinning its presence would fail the legacy.
    example = seen("GET", "/tasks", None, (200, {}), (200, {}))
    (proposal,), _ = propose([case("headers.x-version", "missing", example)], None)
    assert [(line.text, line.check) for line in proposal.scenario.then][-1] == (
        "the answer has headers.x-version",
        None,
    )
    assert not proposal.catches
    assert any("words only" in line for line in proposal.evidence)


def test_what_the_spec_already_pins_or_holds_is_not_proposed_again() -> None:
    example = seen("DELETE", "/tasks/5", None, (404, {}), (204, None))
    cluster = case("status", "changed", example, endpoints=("DELETE /tasks/{id}",))
    (proposal,), _ = propose([cluster], None)
    merged = written(Spec(feature="f", scenarios=(proposal.scenario,)))
    again, skipped = propose([cluster], merged)
    assert again == []
    assert [s.fingerprint for s in skipped] == ["c1-0000000000"]
    assert (
        "pinned by scenario 'DELETE /tasks/{id} answers 404 as the legacy does'"
        in skipped[0].reason
    )


def test_names_never_collide_with_the_specs() -> None:
    example = seen("GET", "/tasks", None, (200, {"v": 1}), (200, {"v": 2}))
    (first,), _ = propose([case("body.v", "changed", example)], None)
    spec = Spec(
        feature="f",
        scenarios=(
            first.scenario.model_copy(
                update={"when": first.scenario.when.model_copy(update={"match": "false"})}
            ),
        ),
    )
    (second,), _ = propose([case("body.v", "changed", example)], spec)
    assert second.scenario.name == f"{first.scenario.name} (c1-0000000000)"


_KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@given(st.lists(st.one_of(_KEYS, st.integers(0, 3)), max_size=5))
@example(["\\"])
@example(['a"b\\', "x"])
def test_rendered_paths_read_back_as_their_steps(path: list[str | int]) -> None:
    location = parse_location(render_path(tuple(path)))
    assert location is not None
    assert location.steps == tuple(path)
    folded = tuple(ANY if isinstance(step, int) else step for step in path)
    group = "body" + "".join("[*]" if s == ANY else render_path((s,), "") for s in folded)
    assert parse_location(group) == type(location)("body", folded)


@settings(max_examples=150, deadline=None)
@given(
    _JSON,
    _JSON,
    st.sampled_from([200, 201, 400, 404]),
    st.sampled_from([200, 204, 500]),
    st.frozensets(st.sampled_from(["long", "unicode", "empty"])),
    _JSON,
)
def test_any_proposal_loads_with_spec_check_and_the_legacy_passes_it(
    a: Any, b: Any, status_a: int, status_b: int, features: frozenset[str], body: Any
) -> None:
    example = seen("POST", "/things/7", body, (status_a, a), (status_b, b))
    differences = diff_responses(example.legacy, example.candidate)
    cases = [
        case(d.group, d.kind, example, endpoints=("POST /things/{id}",), features=features)
        for d in differences[:4]
    ]
    found, _ = propose(cases, None)
    spec = written(Spec(feature="proposed", scenarios=tuple(p.scenario for p in found)))
    assert len(spec.scenarios) == len(found)
    for proposal in found:
        alone = Spec(feature="f", scenarios=(spec.scenario(proposal.scenario.name),))
        results = check_scenarios(alone, example.request, example.legacy, example.candidate)
        assert all(r.legacy.passed for r in results), results


def test_what_a_spec_would_refuse_stays_in_words() -> None:
    # Three folded lists nest three comprehensions (a spec allows two); `/{id}.xml` is no
    # template the spec language can write.
    legacy = {"a": [{"b": [{"c": [{"d": 1}]}]}]}
    example = seen("GET", "/7.xml", None, (200, legacy), (200, {"a": [{"b": [{"c": [{"d": 2}]}]}]}))
    cluster = case("body.a[*].b[*].c[*].d", "changed", example, endpoints=("GET /{id}.xml",))
    (proposal,), _ = propose([cluster], None)
    assert proposal.scenario.when.request is None
    assert proposal.scenario.then[-1].check is None
    assert proposal.scenario.then[-1].text == "body.a[*].b[*].c[*].d is the legacy's"


@pytest.mark.parametrize("text", ["a\r\nb", "x\u2028y: [", "x\x85y", "a\x00b", "\x1b[31m"])
def test_recorded_text_in_the_evidence_keeps_the_proposal_file_loading(text: str) -> None:
    example = seen("GET", "/tasks", None, (200, {"a": 1}), (500, {"a": 1}))
    (found,), _ = propose([case("status", "changed", example)], None)
    quoted = replace(found, evidence=(*found.evidence, f"  body: {text}"))
    file = proposal_file(ProposalRun("candidate", [quoted], clusters=1), f"tasks {text}")
    assert [s.name for s in parse_spec(file).scenarios] == [found.scenario.name]


def test_a_check_on_a_longer_name_does_not_pin_the_location() -> None:
    example = seen("GET", "/tasks", None, (200, {"id": 1, "idx": 3}), (200, {"id": 2, "idx": 3}))
    spec = parse_spec(
        "feature: f\n"
        "scenarios:\n"
        "  - name: idx\n"
        "    when: {text: a list, request: {method: GET, path: /tasks}}\n"
        "    then:\n"
        "      - the idx stays: response.body.idx == 3\n"
    )
    found, skipped = propose([case("body.id", "changed", example)], spec)
    assert skipped == []
    assert [p.fingerprint for p in found] == ["c1-0000000000"]
