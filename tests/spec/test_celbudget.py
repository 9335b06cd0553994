"""Costly CEL: refused when a spec loads if it nests too deep, over budget when it runs."""

import subprocess
import sys
import time
from typing import Any

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.errors import SpecError
from twinsight.spec import CelSyntaxError, Evaluation, compile_expression, parse_spec
from twinsight.spec.celbudget import (
    MAX_LENGTH,
    MAX_STEPS,
    Budget,
    OverBudget,
    bounded_source,
    comprehensions,
)

ITEMS = "response.body.items"
# The tester's expression: five nested comprehensions over the same list.
BOMB = (
    f"{ITEMS}.all(a, {ITEMS}.all(b, {ITEMS}.map(c, {ITEMS}.all(d, "
    f"{ITEMS}.all(e, a + b + c + d + e >= 0))).size() > 0))"
)
SPEC = """\
feature: Items
scenarios:
  - name: Listing
    when: {{text: I list items, request: {{method: GET, path: /items}}}}
    then:
      - Every item adds up: {check}
"""


def response(items: list[Any]) -> dict[str, Any]:
    return {"response": {"status": 200, "body": {"items": items}}}


def test_deeply_nested_comprehensions_are_refused_at_load_with_a_caret_and_a_hint() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(SPEC.format(check=BOMB), "s.yaml")
    (problem,) = caught.value.problems
    first, line, caret = str(problem).splitlines()
    column = len("      - Every item adds up: ") + BOMB.index("map(c") + 1
    assert first.startswith(f"s.yaml:6:{column}: scenarios[0].then[0].check: ")
    assert "comprehensions nested 5 deep (at most 2)" in first
    assert "(each level multiplies the work" in first
    assert caret.index("^") == line.index("map(c")


def test_two_levels_load_and_evaluate() -> None:
    check = f"{ITEMS}.all(a, {ITEMS}.exists(b, b == a))"
    spec = parse_spec(SPEC.format(check=check))
    assert spec.scenarios[0].then[0].check == check
    assert Evaluation(response(list(range(50)))).check(check).passed


def test_nested_steps_over_budget_fail_with_that_reason_quickly() -> None:
    check = f"{ITEMS}.all(a, {ITEMS}.all(b, a + b >= 0))"
    started = time.perf_counter()
    result = Evaluation(response(list(range(1000)))).check(check)  # 10^6 steps
    assert time.perf_counter() - started < 2.0
    assert result.reason.startswith("over budget: ")


def test_budget_errors_absorbed_by_the_expression_still_fail_it() -> None:
    # `error || true` is true in CEL: the budget's error alone would be lost.
    check = f"{ITEMS}.exists(a, {ITEMS}.exists(b, a + b < 0) || false) || true"
    result = Evaluation(response(list(range(1000)))).check(check)
    assert result.reason.startswith("over budget: ")


def test_the_copying_map_is_cut_by_cpu_time() -> None:
    # One level only, but the library copies the list it builds at every step (~10 s).
    started = time.perf_counter()
    result = Evaluation(response(list(range(20_000)))).check(f"{ITEMS}.map(x, x).size() > 0")
    assert time.perf_counter() - started < 2.0
    assert result.reason.startswith("over budget: ")


def test_the_same_evaluation_serves_the_next_check_with_a_fresh_budget() -> None:
    evaluation = Evaluation(response(list(range(1000))))
    assert not evaluation.check(f"{ITEMS}.all(a, {ITEMS}.all(b, true))").passed
    assert evaluation.check(f"{ITEMS}.all(a, a >= 0)").passed
    assert evaluation.check("response.status == 200").passed


def test_within_budget_results_and_reasons_are_unchanged() -> None:
    evaluation = Evaluation(response([{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}]))
    assert evaluation.check(f"{ITEMS}.all(i, i.tags.all(t, t != ''))").passed
    assert evaluation.check(f"{ITEMS}.map(i, i.id) == [1, 2]").passed
    assert evaluation.check(f"{ITEMS}.map(i, i.id > 1, i.id) == [2]").passed
    assert evaluation.check(f"{ITEMS}.exists_one(i, size(i.tags) == 1)").passed
    missing = evaluation.check(f"{ITEMS}.all(i, i.name != '')")
    assert not missing.passed
    assert missing.reason.startswith("no field")


def test_an_expression_longer_than_the_limit_is_refused_not_a_crash() -> None:
    # 16,000 `+` overflowed the library's stack: the process died with SIGSEGV. A child
    # process, so that a regression fails this test instead of killing the run.
    code = (
        "from twinsight.spec import CelSyntaxError, compile_expression\n"
        "try:\n"
        "    compile_expression('+'.join(['1'] * 16000))\n"
        "except CelSyntaxError as exc:\n"
        "    print(exc.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"expression of 31,999 characters (at most {MAX_LENGTH:,})"


def test_an_expression_at_the_limit_compiles() -> None:
    compile_expression("+".join(["1"] * (MAX_LENGTH // 2)))


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("l.all(x, x > 0)", [("all", 1)]),
        (
            "l.map(x, l.filter(y, y == x)).exists(z, z != [])",
            [("filter", 2), ("map", 1), ("exists", 1)],
        ),
        ('\'.all(\' + r\'\\\'.map(\' == """.exists()"""', []),
        ("l.all(x, true) // .all(y, l.all(z,\n && true", [("all", 1)]),
        ("l . all ( x , l.exists(y, true) )", [("exists", 2), ("all", 1)]),
        ("all(l, x, true) || l.all", []),
    ],
)
def test_comprehensions_are_found_past_strings_comments_and_spaces(
    source: str, names: list[tuple[str, int]]
) -> None:
    assert [(c.name, c.depth) for c in comprehensions(source)] == names


def test_bounded_source_guards_each_step() -> None:
    source = "l.map(x, x > 1, l.filter(y, y == x))"
    assert bounded_source(source, comprehensions(source)) == (
        "l.map(x, _twinsight_step() ? ( x > 1) : false,"
        " l.filter(y, _twinsight_step() ? ( y == x) : false))"
    )


def test_the_budget_counts_steps_then_raises_on_every_step() -> None:
    budget = Budget(max_steps=40, max_seconds=60)
    budget.start()
    for _ in range(40):
        budget.step()
    with pytest.raises(OverBudget):
        budget.step()
    with pytest.raises(OverBudget):
        budget.step()
    assert budget.over == "over budget: more than 40 steps"
    budget.start()
    assert budget.step()


def test_the_default_budget_passes_a_plain_scan_of_its_size() -> None:
    result = Evaluation(response(list(range(MAX_STEPS)))).check(f"{ITEMS}.all(x, x >= 0)")
    assert result.passed


# Small expressions built from comprehensions, operators, strings and comments.
_lists = st.sampled_from(["l", "[1, 2]", "[]", "l.map(q, q * 2)"])
_leaves = st.sampled_from(["x > 1", "x == 2", "true", "'(' == ')'", "x in l", "l.size() > 2"])


def _nest(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    macro = st.sampled_from(["all", "exists", "exists_one", "filter", "map"])
    return st.builds(
        lambda lst, m, body, tail: f"{lst}.{m}(x, {body}){tail}",
        _lists,
        macro,
        inner,
        st.sampled_from(["", ".size() > 0", " // (\n", " == []"]),
    ) | st.builds(lambda a, b: f"({a}) || ({b})", inner, inner)


expressions = st.recursive(_leaves, _nest, max_leaves=4)


@settings(max_examples=150, deadline=None)
@given(expressions, st.lists(st.integers(-3, 3), max_size=5))
def test_bounded_expressions_give_the_plain_results(source: str, items: list[int]) -> None:
    try:
        plain = compile_expression(source)  # the program as written, without steps
    except CelSyntaxError:
        return  # nested too deep: refused, as tested above
    context = cel.Context({"l": items})
    context.add_function("ulen", len)
    try:
        expected = plain.execute(context) is True
    except Exception:
        expected = False
    result = Evaluation({"l": items}).check(source)
    assert result.passed == expected, source
    assert not result.reason.startswith("over budget"), source


def _spend_cpu(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_the_cpu_clock_starts_with_the_evaluation_and_is_read_at_the_first_step() -> None:
    # It was first read at step 16: the steps before (each maybe a costly copy) ran free.
    budget = Budget(max_steps=1000, max_seconds=0.01)
    budget.start()
    _spend_cpu(0.02)
    with pytest.raises(OverBudget):
        budget.step()
    assert budget.over == "over budget: more than 0.01 s of CPU"


def test_costly_steps_are_each_checked_once_one_interval_was_slow() -> None:
    # A step that costs 1 ms: after one slow interval of 16 steps, every step reads the clock.
    budget = Budget(max_steps=1000, max_seconds=0.02)
    budget.start()

    def costly_steps() -> None:
        for _ in range(1000):
            budget.step()
            _spend_cpu(0.001)

    with pytest.raises(OverBudget):
        costly_steps()
    assert budget.steps <= 24  # unadapted, the clock was read next at step 33


def _refusal(source: str) -> CelSyntaxError:
    with pytest.raises(CelSyntaxError) as caught:
        compile_expression(source)
    return caught.value


def test_many_joins_of_values_are_refused_at_load_where_the_first_extra_one_is() -> None:
    # 291 `response.body +` over a 10,000-item body took 18.5 s and 418 MB per evaluation.
    source = "size(" + " + ".join(["response.body"] * 6) + ") > 0"
    refused = _refusal(source)
    assert refused.message == "5 '+' between values (at most 4)"
    assert refused.column == source.index("+", source.index("+") + 1) + 1 + 3 * 16
    assert "split the check into lines" in refused.hint


def test_joins_with_literals_and_a_few_between_values_load() -> None:
    compile_expression(" + ".join(["'a'"] * 40) + " != ''")
    compile_expression("request.path + '/' + response.body.id + '/' + response.body.name != ''")
    compile_expression("size(" + " + ".join(["response.body"] * 5) + ") > 0")


def test_many_reads_of_the_exchange_are_refused_at_load() -> None:
    # Each read copies the value: 140 `size(response.body)` over 100,000 items ran ~1.1 s,
    # and `||` evaluates its right side even after the budget's error on the left.
    source = " || ".join(["size(response.body) == 1"] * 17)
    refused = _refusal(source)
    assert refused.message == "17 reads of request, response or legacy (at most 16)"
    assert refused.column == source.rindex("response") + 1


def test_size_calls_in_a_comprehension_are_charged_to_the_budget() -> None:
    check = "response.body.all(x, size(response.body) > 0)"
    evaluation = Evaluation({"response": {"body": list(range(100_000))}})
    started = time.thread_time()
    result = evaluation.check(check)
    assert time.thread_time() - started < 1.0
    assert result.reason.startswith("over budget: ")
    assert evaluation.check("size(response.body) == 100000").passed


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'a'.matches('\\\\w{300}')", "matches(): invalid pattern: "),
        ("'a'.matches('(')", "matches(): invalid pattern: "),
        ("'a'.matches('\\\\w{100}')", "matches(): the pattern takes "),
        ("'a'.matches(request.path)", "matches(): its pattern is not a string literal"),
        ("'a'.matches('a' + 'b')", "matches(): its pattern is not a string literal"),
    ],
)
def test_costly_or_invalid_patterns_are_refused_at_load(source: str, message: str) -> None:
    # The library compiles a pattern at each evaluation: 163 `\w{300}` took 16.8 s.
    refused = _refusal(" true && " + source)
    assert refused.message.startswith(message)
    assert refused.column == len(" true && ") + source.index("matches") + 1


def test_more_matches_calls_than_the_limit_are_refused() -> None:
    refused = _refusal(" || ".join(["'a'.matches('^a')"] * 9))
    assert refused.message == "9 calls of matches() (at most 8)"


def test_plain_patterns_load_and_match() -> None:
    check = "request.path.matches(\"^/tasks/[0-9]+$\") && request.path.matches(r'\\d')"
    assert Evaluation({"request": {"path": "/tasks/12"}}).check(check).passed
