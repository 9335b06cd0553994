"""Adding `[[normalize]]` rules to a hand-written twinsight.toml: every line stays, in order."""

import datetime
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.spec.test_edit import only_added
from twinsight.config import load_config
from twinsight.config_edit import add_normalize, normalize_table
from twinsight.errors import UserError

HAND_WRITTEN = """\
# How we compare, by hand.
spec   =   "spec.yaml"     # beside this file

[targets]
  legacy    = "http://127.0.0.1:8081"   # indented keys
  candidate = 'http://127.0.0.1:8082'

[[normalize]]
where = "body.id"
compare = "shape"
why = '''each service makes its own ids'''

[[ normalize ]]   # spaced header
where   = "headers.x-request-id"
compare = "ignore"
# the rule above; readiness follows

[readiness]
min_samples = 50
"""


def test_a_rule_follows_the_last_normalize_table() -> None:
    rule = normalize_table(
        "GET /health body.version", "ignore", "intended", "Ann <a@x>", datetime.date(2026, 11, 30)
    )
    after = add_normalize(HAND_WRITTEN, [rule])
    assert only_added(HAND_WRITTEN, after) == [
        "\n",
        "[[normalize]]\n",
        'where = "GET /health body.version"\n',
        'compare = "ignore"\n',
        'why = "intended"\n',
        'by = "Ann <a@x>"\n',
        "at = 2026-11-30\n",
    ]
    assert 'compare = "ignore"\n\n[[normalize]]\nwhere = "GET /health' in after
    rules = tomllib.loads(after)["normalize"]
    assert [r["where"] for r in rules] == [
        "body.id",
        "headers.x-request-id",
        "GET /health body.version",
    ]
    assert rules[-1]["at"] == datetime.date(2026, 11, 30)


def test_the_edited_file_loads_with_who_and_when(tmp_path: Path) -> None:
    rules = [
        normalize_table("body.a", "shape", "one", "Ann"),
        normalize_table("body.b", "ignore", "two"),
    ]
    file = tmp_path / "twinsight.toml"
    file.write_text(add_normalize(HAND_WRITTEN, rules), encoding="utf-8")
    loaded = load_config(file).normalize
    assert [(r.where, r.compare, r.by, r.at) for r in loaded[-2:]] == [
        ("body.a", "shape", "Ann", None),
        ("body.b", "ignore", None, None),
    ]
    assert loaded[0].where == "body.id"


@pytest.mark.parametrize("text", ["", "# only a comment", 'spec = "s.yaml"\n[store]\npath = "x"\n'])
def test_without_rules_the_first_goes_at_the_end(text: str) -> None:
    after = add_normalize(text, [normalize_table("status", "ignore", "why")])
    assert tomllib.loads(after)["normalize"] == [
        {"where": "status", "compare": "ignore", "why": "why"}
    ]
    assert after.startswith(text)


@pytest.mark.parametrize(
    "text", ['normalize = [{where = "body.a", compare = "ignore"}]\n', "[normalize\n"]
)
def test_what_cannot_take_a_table_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="cannot"):
        add_normalize(text, [normalize_table("status", "ignore", "why")])


@given(why=st.text(), by=st.one_of(st.none(), st.text(min_size=1)))
def test_any_text_round_trips_through_the_edited_file(why: str, by: str | None) -> None:
    after = add_normalize(HAND_WRITTEN, [normalize_table("body.x", "ignore", why, by)])
    only_added(HAND_WRITTEN, after)
    rule = tomllib.loads(after)["normalize"][-1]
    assert (rule["why"], rule.get("by")) == (why, by)


@pytest.mark.parametrize("line", ["[see ticket 12]", "[[normalize]]"])
def test_a_header_like_line_in_a_multiline_string_does_not_take_the_rule(line: str) -> None:
    text = f'[[normalize]]\nwhere = "body.a"\ncompare = "ignore"\nwhy = """\n{line}\n"""\n'
    after = add_normalize(text, [normalize_table("body.b", "ignore", "x")])
    only_added(text, after)
    assert tomllib.loads(after)["normalize"] == [
        {"where": "body.a", "compare": "ignore", "why": f"{line}\n"},
        {"where": "body.b", "compare": "ignore", "why": "x"},
    ]
