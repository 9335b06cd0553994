from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.examples.tasks import files
from twinsight.spec import (
    Accepted,
    Constraint,
    RequestBinding,
    Scenario,
    Spec,
    When,
    dump_spec,
    load_spec,
    parse_spec,
    spec_markdown,
)
from twinsight.spec.model import RequestLine, ResponseLine

# Printable text as people write it in specs, any script included.
words = st.text(
    st.characters(categories=["L", "N", "P", "Zs", "S"], exclude_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s != "")
checks = st.sampled_from(
    [
        "response.status == 200",
        'response.body.error == "Task is already completed"',
        "response.body.tasks.all(t, t.status == request.query.status)",
        'has(response.body.id) && response.headers["location"].startsWith("/tasks/")',
        "size(request.body.title) <= 255 || legacy.status == 400",
    ]
)
requests = st.builds(
    RequestBinding,
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
    path=st.sampled_from(
        ["/tasks", "/tasks/{id}", "/tasks/{id}/complete", "/", "/v1/", "/tasks/{id}{/}"]
    ),
    query=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), words, max_size=2),
)
whens = st.builds(
    When,
    text=words,
    request=st.none() | requests | st.lists(requests, min_size=1, max_size=3).map(tuple),
    match=st.none() | st.sampled_from(["legacy.status == 409", "has(request.body.title)"]),
)
scenarios = st.builds(
    Scenario,
    name=words,
    description=st.none() | words,
    given=st.lists(st.builds(RequestLine, text=words), max_size=2).map(tuple),
    when=whens,
    then=st.lists(
        st.builds(ResponseLine, text=words, check=st.none() | checks), min_size=1, max_size=3
    ).map(tuple),
)
specs = st.builds(
    Spec,
    feature=words,
    description=st.none() | words,
    scenarios=st.lists(scenarios, max_size=3, unique_by=lambda s: s.name).map(tuple),
    constraints=st.dictionaries(
        st.sampled_from(["performance", "security", "compliance"]),
        st.lists(st.builds(Constraint, name=words, requirement=words), min_size=1, max_size=2).map(
            tuple
        ),
        max_size=2,
    ),
    accepted=st.lists(
        st.builds(
            Accepted,
            where=st.sampled_from(["GET /health body.version", "status", "headers.etag"]),
            why=words,
        ),
        max_size=2,
    ).map(tuple),
)


@settings(max_examples=150)
@given(specs)
def test_load_dump_load_is_identity(spec: Spec) -> None:
    assert parse_spec(dump_spec(spec)) == spec


def test_bundled_specs_round_trip() -> None:
    for name in ("spec.yaml", "spec-plain.yaml"):
        spec = load_spec(files() / name)
        assert parse_spec(dump_spec(spec)) == spec


def test_dump_reads_like_hand_written_yaml() -> None:
    spec = parse_spec(
        "feature: Tasks\nscenarios:\n  - name: Complete\n    when:\n      text: I complete\n"
        "      request: {method: POST, path: '/tasks/{id}/complete'}\n"
        "    then:\n      - It is done: response.status == 200\n      - Words only\n"
    )
    assert dump_spec(spec, header="Proposed by twinsight") == (
        "# Proposed by twinsight\n"
        "feature: Tasks\n"
        "scenarios:\n"
        "  - name: Complete\n"
        "    when:\n"
        "      text: I complete\n"
        '      request: {method: POST, path: "/tasks/{id}/complete"}\n'
        "    then:\n"
        "      - It is done: response.status == 200\n"
        "      - Words only\n"
    )


def test_markdown_marks_unbound_lines() -> None:
    text = spec_markdown(load_spec(files() / "spec.yaml"))
    assert text.startswith("# Task Management System\n")
    assert "## Scenario: Complete a task" in text
    assert "`POST /tasks/{id}/complete`" in text
    assert "- **Then** No task should be created — *not machine-checked*" in text
    assert "- `GET /health body.version`:" in text


def test_several_bindings_dump_as_a_list_and_render_as_alternatives() -> None:
    spec = parse_spec(
        "feature: Tasks\nscenarios:\n  - name: Read\n    when:\n      text: I read a task\n"
        "      request:\n        - {method: GET, path: '/tasks/{id}'}\n"
        "        - {method: HEAD, path: '/tasks/{id}'}\n"
        "    then:\n      - It is there: response.status == 200\n"
    )
    text = dump_spec(spec)
    assert (
        "      request:\n"
        '        - {method: GET, path: "/tasks/{id}"}\n'
        '        - {method: HEAD, path: "/tasks/{id}"}\n'
    ) in text
    assert parse_spec(text) == spec
    assert "- **When** I read a task — `GET /tasks/{id}` or `HEAD /tasks/{id}`" in (
        spec_markdown(spec)
    )


def test_line_breaks_other_than_newline_come_back_as_written() -> None:
    # Plain and single-quoted YAML scalars fold NEL, LS, PS and CR into spaces.
    text = "a\x85b\u2028c\u2029d\re"
    spec = Spec(
        feature=text,
        scenarios=(
            Scenario.model_validate(
                {"name": text, "when": text, "then": [{text: "response.status == 200"}]}
            ),
        ),
    )
    assert parse_spec(dump_spec(spec)) == spec
