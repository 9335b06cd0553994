"""Fuzzing the spec reader on a fixed budget: whatever the text, a spec or located problems,
never another exception, and each in bounded time."""

import io
import json
import time
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from twinsight.errors import Problem, SpecError
from twinsight.spec import Evaluation, Spec, parse_spec

from .keys import SPEC_KEYS

# Per input, far above what a small document takes, far below a hang.
SECONDS_PER_INPUT = 2.0
BUDGET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(text: str) -> Spec | list[Problem]:
    """The spec, or its problems; checks the time and that every problem is located."""
    started = time.perf_counter()
    try:
        outcome: Spec | list[Problem] = parse_spec(text, "fuzz.yaml")
    except SpecError as exc:
        outcome = exc.problems
        assert outcome, "a SpecError names at least one problem"
        for problem in outcome:
            assert problem.location.file == "fuzz.yaml"
            assert problem.location.line >= 1, problem
            assert problem.location.column >= 1, problem
            assert str(problem).startswith("fuzz.yaml:")
            assert "Traceback" not in str(problem)
    assert time.perf_counter() - started < SECONDS_PER_INPUT
    return outcome


# YAML's own syntax, spec keys and CEL pieces, shuffled: what a tokenizer and a parser meet.
_YAML_TOKENS = [
    "\n",
    "\n  ",
    "\n    ",
    "\n- ",
    "  ",
    "- ",
    ": ",
    ":",
    ",",
    "[",
    "]",
    "{",
    "}",
    "? ",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: ",
    "<<: *a",
    "!!set ",
    "!!omap ",
    "!!binary ",
    "!!python/name:x ",
    "!x ",
    "|\n  ",
    ">-\n  ",
    "'",
    '"',
    "#c",
    "---\n",
    "...\n",
    "%YAML 1.2\n---\n",
    "\t",
    "\ufeff",
    "\x00",
    "\x85",
    "\u2028",
    "~",
    "null",
    "true",
    "1e999",
    "0x1f",
    "9" * 5000,
    "2025-01-01T00:00:00Z",
    *SPEC_KEYS,
    "GET",
    "/tasks/{id}",
    "/x/{",
    "response.status == 200",
    "legacy.body.x",
    "response.body.l.all(x, ",
    "l.map(y, ",
    ")",
    "size(",
    "'a(' ",
    "// c\n",
]
yaml_soup = st.lists(st.sampled_from(_YAML_TOKENS) | st.text(max_size=5), max_size=60).map("".join)


@BUDGET
@given(yaml_soup)
@example("!!set ")  # ruamel raised AttributeError
@example("feature: x\nb: &b {name: [1]}\nscenarios: [{<<: *b}]\n")  # merged keys: KeyError
@example("a: &a [*a, {b: *a}]\n")
def test_any_token_soup_reads_as_a_spec_or_located_problems(text: str) -> None:
    read(text)


@BUDGET
@given(st.text(max_size=400))
def test_any_text_reads_as_a_spec_or_located_problems(text: str) -> None:
    read(text)


_KEYS = [*SPEC_KEYS, "x", "<<"]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["GET", "/tasks/{id}", "response.status == 200", "l.all(x, x > 0)"]),
)


@st.composite
def _shared_structures(draw: st.DrawFn) -> Any:
    """Nested data whose sub-values are reused, so that ruamel writes anchors and aliases
    (`&id001`, `*id001`): reuse at every level is how an alias bomb is built."""
    pool: list[Any] = [draw(_scalars)]
    for _ in range(draw(st.integers(1, 8))):
        parts = draw(st.lists(st.sampled_from(range(len(pool))), min_size=1, max_size=9))
        values = [pool[i] for i in parts]
        if draw(st.booleans()):
            pool.append(values)
        else:
            keys = draw(st.permutations(_KEYS))
            pool.append(dict(zip(keys, values, strict=False)))
    top = pool[-1]
    return {"feature": "f", "scenarios": top} if draw(st.booleans()) else top


def _dumped(data: Any) -> str:
    stream = io.StringIO()
    YAML().dump(data, stream)
    return stream.getvalue()


@BUDGET
@given(_shared_structures())
def test_nested_yaml_with_anchors_and_aliases_reads_in_bounded_time(data: Any) -> None:
    read(_dumped(data))


_cel_pieces = st.sampled_from(
    [
        "response.status",
        "response.body.items",
        "request.query.q",
        "legacy.body",
        " == ",
        " && ",
        " || ",
        " + ",
        " in ",
        "!",
        "(",
        ")",
        "[",
        "]",
        ".all(x, ",
        ".exists(y, ",
        ".map(z, ",
        ".filter(w, ",
        "x",
        "y",
        "1",
        "'s'",
        '"(',
        "size(",
        "has(",
        ", ",
        "true",
        "null",
        "// c\n",
    ]
)
cel_soup = st.lists(_cel_pieces, min_size=1, max_size=25).map("".join)
_bodies = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.sampled_from(["items", "x"]), inner, max_size=3)
    ),
    max_leaves=30,
)


@BUDGET
@given(cel_soup, _bodies, _bodies)
def test_any_expression_loads_or_is_located_and_any_loaded_one_evaluates(
    check: str, body: Any, legacy: Any
) -> None:
    text = (
        "feature: f\nscenarios:\n  - name: s\n"
        "    when: {text: w, request: {method: GET, path: /}}\n"
        "    then:\n      - t: " + json.dumps(check) + "\n"
    )
    outcome = read(text)
    if isinstance(outcome, list):
        return
    started = time.perf_counter()
    variables = {
        "request": {"query": {"q": "1"}, "body": None},
        "response": {"status": 200, "body": body},
        "legacy": {"status": 200, "body": legacy},
    }
    for line in outcome.scenarios[0].then:
        assert line.check is not None
        result = Evaluation(variables).check(line.check)
        assert isinstance(result.passed, bool)
    assert time.perf_counter() - started < SECONDS_PER_INPUT
