from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.errors import Problem, SpecError
from twinsight.examples.tasks import files
from twinsight.spec import load_spec, parse_spec, spec_coverage

from .keys import SPEC_KEYS

VALID = """\
feature: Tasks
scenarios:
  - name: Complete
    when:
      text: I complete a task
      request: {method: POST, path: "/tasks/{id}/complete"}
      match: legacy.status == 200
    then:
      - It is completed: response.body.status == "completed"
      - Nobody is told
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_bound_lines_are_compiled_and_counted() -> None:
    spec = parse_spec(VALID)
    scenario = spec.scenario("Complete")
    assert scenario.when.request is not None
    assert scenario.when.request.template.match("/tasks/3/complete") == {"id": "3"}
    assert [line.check for line in scenario.then] == ['response.body.status == "completed"', None]
    coverage = spec_coverage(spec)
    assert (coverage.bound_lines, coverage.unbound_lines) == (1, 1)


def test_bundled_specs_load() -> None:
    bound = spec_coverage(load_spec(files() / "spec.yaml"))
    assert bound.bound_lines > 10
    assert bound.accepted == 1


def test_plain_proposal_spec_loads_with_every_line_unbound() -> None:
    spec = load_spec(files() / "spec-plain.yaml")
    coverage = spec_coverage(spec)
    assert [s.name for s in spec.scenarios] == [
        "Create a simple task",
        "Complete a task",
        "Cannot complete already completed task",
        "List tasks filtered by status",
    ]
    assert coverage.bound_lines == 0
    assert coverage.unbound_lines == 17
    assert coverage.constraints == {
        "performance": 3,
        "scalability": 2,
        "security": 3,
        "reliability": 3,
    }


def test_yaml_syntax_error_is_located() -> None:
    assert problems("feature: x\nscenarios: [\n") == [
        "s.yaml:3:1: YAML error: expected the node content, but found '<stream end>'"
    ]


def test_duplicate_yaml_key_is_located() -> None:
    (found,) = problems("feature: x\nfeature: y\n")
    assert found.startswith("s.yaml:2:1: YAML error: found duplicate key")


def test_unknown_key_suggests_the_known_one() -> None:
    (found,) = problems(VALID.replace("    then:", "    thne:", 1) + "    then: [x]\n")
    assert found == "s.yaml:8:5: scenarios[0]: unknown key 'thne' (did you mean 'then'?)"


def test_unknown_top_level_key_lists_known_keys_when_nothing_is_close() -> None:
    (found,) = problems(VALID + "zzz: 1\n")
    assert found.startswith("s.yaml:11:1: top level: unknown key 'zzz' (known keys: feature,")


def test_wrong_type_is_located_at_the_value() -> None:
    (found,) = problems(VALID.replace("feature: Tasks", "feature: [a, b]"))
    assert found == "s.yaml:1:10: feature: expected text, found a list"


def test_missing_key_is_located_at_its_mapping() -> None:
    (found,) = problems("feature: x\nscenarios:\n  - name: a\n    then: [x]\n")
    assert found == "s.yaml:3:5: scenarios[0]: missing required key 'when'"


def test_cel_syntax_error_points_a_caret_at_the_column() -> None:
    (found,) = problems(VALID.replace('response.body.status == "completed"', "response.status =="))
    assert found.splitlines() == [
        "s.yaml:9:44: scenarios[0].then[0].check: CEL syntax error: mismatched input '<EOF>'",
        "        - It is completed: response.status ==",
        "  " + " " * 43 + "^",
    ]


def test_cel_unknown_variable_gets_did_you_mean() -> None:
    (found,) = problems(VALID.replace("legacy.status", "legacyy.status"))
    assert "s.yaml:7:14: scenarios[0].when.match: unknown variable 'legacyy'" in found
    assert "did you mean 'legacy'?" in found


def test_response_is_not_available_to_when_match() -> None:
    (found,) = problems(VALID.replace("legacy.status == 200", "response.status == 200"))
    assert "unknown variable 'response' (allowed: request, legacy)" in found


def test_duplicate_scenario_names_are_located() -> None:
    duplicated = VALID + "  - name: Complete\n    when: again\n    then: [x]\n"
    (found,) = problems(duplicated)
    assert found == (
        "s.yaml:11:11: scenarios[1]: duplicate scenario name 'Complete' "
        "(first used on line 3; names must be unique)"
    )


def test_bad_path_template_is_located() -> None:
    (found,) = problems(VALID.replace('"/tasks/{id}/complete"', '"/tasks/{id/complete"'))
    assert found.startswith("s.yaml:6:37: scenarios[0].when.request.path: path template")


def test_bad_path_template_in_a_list_of_bindings_is_located() -> None:
    many = '[{method: GET, path: "/tasks/{id}"}, {method: HEAD, path: "/tasks/{id"}]'
    (found,) = problems(VALID.replace('{method: POST, path: "/tasks/{id}/complete"}', many))
    assert found.startswith("s.yaml:6:74: scenarios[0].when.request[1].path: path template")


def test_an_empty_list_of_bindings_is_refused() -> None:
    (found,) = problems(VALID.replace('{method: POST, path: "/tasks/{id}/complete"}', "[]"))
    assert found.startswith("s.yaml:6:16: scenarios[0].when.request: an empty list binds no")


def test_bad_accepted_rule_is_located() -> None:
    (found,) = problems(VALID + "accepted:\n  - where: GET /x cookies.a\n    why: because\n")
    assert found.startswith("s.yaml:12:12: accepted[0].where: location 'cookies.a' must start with")


def test_every_problem_is_reported_at_once() -> None:
    broken = VALID.replace("legacy.status ==", "legacy.status === ").replace("thne", "x")
    broken += "  - name: Complete\n    when: again\n    then: [x]\nzzz: 1\n"
    assert len(problems(broken)) == 3


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "just text\n", "42\n"])
def test_documents_that_are_not_a_mapping(text: str) -> None:
    (found,) = problems(text)
    assert found.startswith("s.yaml:1:1: a spec is a mapping with 'feature' and 'scenarios'")


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "nope.yaml")


def test_non_utf8_file_is_a_spec_error(tmp_path: Path) -> None:
    file = tmp_path / "latin1.yaml"
    file.write_bytes(b"feature: caf\xe9\n")
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(file)


def test_unquoted_timestamps_stay_text() -> None:
    spec = parse_spec(
        VALID + "    inputs:\n      - name: due\n        type: datetime\n"
        "        examples: [2025-12-31T23:59:59Z]\n"
    )
    assert spec.scenarios[0].inputs[0].examples == ("2025-12-31T23:59:59Z",)


def _yaml_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
    keys = st.sampled_from([*SPEC_KEYS, "x"])
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=25,
    )


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_loading_any_text_never_crashes(text: str) -> None:
    problems = _problems_or_none(text)
    assert problems is None or all(str(p).startswith("fuzz.yaml") for p in problems)


@settings(max_examples=300)
@given(_yaml_values())
def test_loading_any_yaml_structure_never_crashes(data: object) -> None:
    import io

    from ruamel.yaml import YAML

    stream = io.StringIO()
    YAML().dump(data, stream)
    assert _problems_or_none(stream.getvalue()) != []


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.integers(min_value=1, max_value=8))
def test_truncated_or_mangled_valid_spec_never_crashes(start: int, length: int) -> None:
    for text in (VALID[:start], VALID[:start] + VALID[start + length :]):
        _problems_or_none(text)


def _problems_or_none(text: str) -> list[Problem] | None:
    """None when `text` loads; its problems when it is a SpecError; anything else propagates."""
    try:
        parse_spec(text, "fuzz.yaml")
    except SpecError as exc:
        return exc.problems
    return None


def test_problems_are_capped_and_long_keys_shortened() -> None:
    # A generated file printed 524,226 problem lines, a 1 MiB key in full.
    text = "k" * 900 + ": 1\nfeature: x\nscenarios: [" + "1," * 120 + "]\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "s.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 51
    assert problems[-1].endswith(": ... and 71 more")
    key = next(p for p in problems if "unknown key" in p)
    assert len(key) < 200
