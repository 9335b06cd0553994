import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.spec import CelSyntaxError, Evaluation, compile_expression
from twinsight.spec.expressions import unknown_variables

EXCHANGE: dict[str, Any] = {
    "request": {
        "method": "POST",
        "path": "/tasks",
        "query": {},
        "headers": {},
        "body": {"title": "x"},
    },
    "response": {"status": 409, "headers": {"content-type": "application/json"}, "body": {}},
}


def test_a_true_expression_passes() -> None:
    assert Evaluation(EXCHANGE).check("response.status == 409").passed


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ('response.body.error == "x"', "no field response.body.error"),
        ('response.headers["x-request-id"] == "a"', "no field response.headers.x-request-id"),
        ("size(response.body.tasks) > 0", "no field response.body.tasks"),
        ("legacy.status == 200", "no field legacy"),
        ("response.status == 200", "expression is false"),
        ("response.status", "expression gave 409, not true or false"),
    ],
)
def test_failures_carry_a_reason_and_never_raise(expression: str, reason: str) -> None:
    result = Evaluation(EXCHANGE).check(expression)
    assert not result.passed
    assert result.reason == reason


def test_type_clash_is_a_failed_check() -> None:
    result = Evaluation(EXCHANGE).check('response.status + "x" == 1')
    assert not result.passed
    assert result.reason.startswith("No such overload")


def test_string_literals_are_not_mistaken_for_fields() -> None:
    result = Evaluation(EXCHANGE).check('"response.body.nope" == "x" || response.body.error == "y"')
    assert result.reason == "no field response.body.error"


def test_syntax_error_has_a_column() -> None:
    with pytest.raises(CelSyntaxError) as caught:
        compile_expression("response.status ==")
    assert caught.value.line == 1
    assert caught.value.column == 19


def test_compiling_is_cached() -> None:
    assert compile_expression("1 == 1") is compile_expression("1 == 1")


def test_macro_variables_are_not_unknown() -> None:
    assert unknown_variables("response.body.tasks.all(t, t.status == 'x')", ["response"]) == []
    assert "did you mean 'response'" in unknown_variables("respons.status == 1", ["response"])[0]


@given(st.text(max_size=60))
def test_any_text_compiles_or_raises_our_error(text: str) -> None:
    with contextlib.suppress(CelSyntaxError):
        compile_expression(text)


@given(st.text(max_size=40))
def test_checking_any_text_never_raises(text: str) -> None:
    result = Evaluation(EXCHANGE).check(text)
    assert isinstance(result.passed, bool)


def test_size_counts_code_points_as_the_cel_spec_says() -> None:
    # The library counts UTF-8 bytes: a 200-character title of "é" would be 400 long,
    # and the example's legacy bug (bytes, not characters) would look like the spec.
    title = "é" * 200
    evaluation = Evaluation({"request": {"body": {"title": title, "tags": ["a", "b"]}}})
    for source in (
        "size(request.body.title) == 200",
        "request.body.title.size() == 200",
        "size(request.body.tags) == 2",
        'size("size(é)") == 7',
    ):
        assert evaluation.check(source).passed, source
    failed = evaluation.check("size(1) == 1")
    assert not failed.passed
    assert "ulen" not in failed.reason
