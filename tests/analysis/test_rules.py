import pytest

from twinsight.analysis.diff import Difference
from twinsight.analysis.rules import Rule, covering_rule

UUID = "0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"


def changed(location: str, a: object, b: object, kind: str = "changed") -> Difference:
    return Difference(location, kind, a, b)  # type: ignore[arg-type]


def test_scope_by_method_path_and_location_glob() -> None:
    rule = Rule.parse("GET /tasks/{id} body.*_at", compare="shape")
    assert rule.scopes("get", "/tasks/17?x=1", "body.created_at")
    assert not rule.scopes("POST", "/tasks/17", "body.created_at")
    assert not rule.scopes("GET", "/users/17", "body.created_at")
    assert not rule.scopes("GET", "/tasks/17", "body.title")
    assert Rule.parse("body.items[*].id").scopes("GET", "/", "body.items[*].id")
    assert rule.where == "GET /tasks/{id} body.*_at"


@pytest.mark.parametrize(
    ("rule", "difference", "covered"),
    [
        (Rule("body.id", "shape"), changed("body.id", 17, UUID), True),
        (Rule("body.at", "shape"), changed("body.at", "2026-01-01T00:00:00Z", "2026-01-02"), True),
        (Rule("body.at", "shape"), changed("body.at", "2026-01-01T00:00:00Z", 5.5), False),
        (Rule("body.id", "shape"), changed("body.id", 17, None, "missing"), False),
        (Rule("body.n", "tolerance", tolerance=0.01), changed("body.n", 1.0, 1.005), True),
        (Rule("body.n", "tolerance", tolerance=0.01), changed("body.n", 1.0, 1.5), False),
        (Rule("body.tags", "unordered"), changed("body.tags", [1, 2], [2, 1], "order"), True),
        (Rule("body.s", "case_insensitive"), changed("body.s", "Done", "DONE"), True),
        (Rule("body.s", "regex", pattern=r"\d+"), changed("body.s", "req-12", "req-99"), True),
        (Rule("body.s", "regex", pattern=r"\d+"), changed("body.s", "req-12", "res-12"), False),
        (Rule("headers.x-request-id"), changed("headers.x-request-id", "a", None, "missing"), True),
    ],
)
def test_compare_modes(rule: Rule, difference: Difference, covered: bool) -> None:
    assert rule.covers(difference) is covered


def test_the_first_rule_in_scope_that_covers_wins() -> None:
    rules = [Rule.parse("POST body.id"), Rule.parse("body.id", compare="shape", why="ids")]
    assert covering_rule(changed("body.id", 1, UUID), rules, "GET", "/x") is rules[1]
    assert covering_rule(changed("body.id", 1, UUID), rules, "POST", "/x") is rules[0]
    assert covering_rule(changed("body.title", 1, 2), rules, "GET", "/x") is None


def test_bad_where() -> None:
    with pytest.raises(ValueError, match="cannot read where"):
        Rule.parse("GET /a b c")


def test_brackets_in_a_location_are_literal() -> None:
    rule = Rule.parse("body.items[*].*_at")
    assert rule.scopes("GET", "/", "body.items[*].created_at")
    assert not rule.scopes("GET", "/", "body.items.created_at")


def test_a_quoted_key_with_spaces_is_one_location() -> None:
    # Written by `accept` for a cluster at such a key: it must read back and cover it.
    rule = Rule.parse('GET /tasks body["due date"][*].at')
    assert (rule.method, rule.location) == ("GET", 'body["due date"][*].at')
    assert rule.scopes("GET", "/tasks", 'body["due date"][*].at')
    with pytest.raises(ValueError, match="cannot read where"):
        Rule.parse("body.due date")
