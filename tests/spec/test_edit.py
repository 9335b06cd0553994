"""Adding to a hand-written spec: every line the author wrote stays, in order."""

import datetime
import difflib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.errors import UserError
from twinsight.spec import parse_spec
from twinsight.spec.edit import Item, accepted_entry, add_items

# Written by hand, oddly: dashes at column 0 under `scenarios`, four-space mappings, flow
# maps, a folded scalar, comments everywhere (one at the end of the accepted list belongs
# to what follows), blank lines, quoting styles a re-dump would change.
HAND_WRITTEN = (
    "# Orders, as the team wrote it.   \n"
    + """

feature:   "Orders"     # quoted on purpose
scenarios:
- name: 'Read an order'
  when:
      text: I read an order   # four spaces
      request: {method: GET,   path: "/orders/{id}"}
  then:
      - It is found: >-
            response.status == 200
      # a comment inside the list of lines

- name: Health
  when: {text: ping, request: {method: GET, path: /health}}
  then: [The service is up]

accepted:
    -   where: GET /orders/{id} headers.etag
        why: "etags are computed differently" # trailing comment
    # the last accepted entry above; constraints follow

constraints:
  performance:
  - {name: Fast, requirement: p95 < 100ms}
# the end
"""
)

LINE = r"[^\n]*\n|[^\n]+\Z"  # str.splitlines would also break at U+0085


def only_added(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails if any line of `before` changed or moved."""
    old, new = re.findall(LINE, before), re.findall(LINE, after)
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        assert tag in ("equal", "insert"), (tag, old[i1:i2], new[j1:j2])
        if tag == "insert":
            added += new[j1:j2]
    return added


def test_an_accepted_entry_joins_the_list_at_its_own_indentation() -> None:
    entry = accepted_entry(
        "GET /health body.version", "intended", "Ann <a@x>", datetime.date(2026, 11, 30)
    )
    after = add_items(HAND_WRITTEN, "accepted", [Item(entry)])
    assert only_added(HAND_WRITTEN, after) == [
        "    - where: GET /health body.version\n",
        "      why: intended\n",
        "      by: Ann <a@x>\n",
        "      at: 2026-11-30\n",
    ]
    # Right after the last entry, before the comment about what follows.
    lines = after.splitlines()
    assert (
        lines.index("    - where: GET /health body.version")
        == lines.index('        why: "etags are computed differently" # trailing comment') + 1
    )
    accepted = parse_spec(after).accepted
    assert [(a.where, a.by, a.at) for a in accepted] == [
        ("GET /orders/{id} headers.etag", None, None),
        ("GET /health body.version", "Ann <a@x>", datetime.date(2026, 11, 30)),
    ]


def test_a_scenario_joins_scenarios_with_its_comment_above() -> None:
    node = {
        "name": "Delete",
        "when": {"text": "I delete", "request": {"method": "DELETE", "path": "/orders/{id}"}},
        "then": [{"It is gone": "response.status == 204"}],
    }
    after = add_items(
        HAND_WRITTEN,
        "scenarios",
        [Item(node, ("c1-0123456789: why", "seen twice"), blank_before=True)],
    )
    assert len(only_added(HAND_WRITTEN, after)) == 11
    # After the last scenario, dashes at column 0 as the author's, a blank line between.
    assert (
        "  then: [The service is up]\n\n# c1-0123456789: why\n# seen twice\n- name: Delete\n"
        "  when:\n    text: I delete\n"
    ) in after
    spec = parse_spec(after)
    assert [s.name for s in spec.scenarios] == ["Read an order", "Health", "Delete"]
    assert spec.scenarios[-1].then[0].check == "response.status == 204"


def test_a_missing_list_is_added_at_the_end() -> None:
    text = "feature: F  # no accepted yet\nscenarios:\n  - name: A\n    when: x\n    then: [y]"
    after = add_items(text, "accepted", [Item(accepted_entry("status", "fine"))])
    assert only_added(text + "\n", after) == [
        "\n",
        "accepted:\n",
        "  - where: status\n",
        "    why: fine\n",
    ]
    assert parse_spec(after).accepted[0].where == "status"


def test_a_bare_key_takes_its_first_item() -> None:
    text = "feature: F\naccepted:   # none yet\nconstraints: {}\n"
    after = add_items(text, "accepted", [Item(accepted_entry("body.a", "why"))])
    assert only_added(text, after) == ["  - where: body.a\n", "    why: why\n"]
    assert parse_spec(after).accepted[0].where == "body.a"


def test_windows_line_endings_are_kept() -> None:
    text = HAND_WRITTEN.replace("\n", "\r\n")
    after = add_items(text, "accepted", [Item(accepted_entry("status", "fine"))])
    assert "\r\n    - where: status\r\n      why: fine\r\n" in after
    assert after.count("\n") == after.count("\r\n")


def test_a_flow_list_is_written_again_whole_with_the_entry() -> None:
    text = "# kept\nfeature: F\naccepted: []\n"
    after = add_items(text, "accepted", [Item(accepted_entry("status", "fine"))])
    assert after.startswith("# kept\n")
    assert parse_spec(after).accepted[0].where == "status"


def test_an_entry_after_a_keep_block_leaves_the_blocks_value_as_it_was() -> None:
    # `|+` keeps its trailing blank lines: an entry spliced after them would take them.
    text = (
        "feature: f\naccepted:\n  - where: body.a\n    why: |+\n      kept\n\n\nconstraints: {}\n"
    )
    after = add_items(text, "accepted", [Item(accepted_entry("body.b", "new"))])
    whys = [a.why for a in parse_spec(after).accepted]
    assert whys == ["kept\n\n\n", "new"]


def test_written_again_whole_the_scenario_keeps_its_comment() -> None:
    text = "# kept\nfeature: F\nscenarios: []\n"
    node = {"name": "A", "when": "it happens", "then": ["it holds"]}
    after = add_items(text, "scenarios", [Item(node, ("c1-0123456789: why",), True)])
    assert "\n  # c1-0123456789: why\n  - name: A\n" in after
    assert parse_spec(after).scenarios[0].name == "A"


@pytest.mark.parametrize("text", ["- a list\n", "feature: [unclosed\n", "accepted: 3\n"])
def test_what_cannot_take_an_entry_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="cannot"):
        add_items(text, "accepted", [Item(accepted_entry("status", "fine"))])


@given(
    why=st.text(min_size=1).filter(lambda s: s.strip()),
    by=st.one_of(st.none(), st.text(min_size=1)),
)
def test_any_text_round_trips_through_the_edited_file(why: str, by: str | None) -> None:
    # U+0085 and U+2028 included: ruamel would write them raw, where they read as breaks.
    entry = accepted_entry("GET /health body.version", why, by, datetime.date(2026, 1, 2))
    after = add_items(HAND_WRITTEN, "accepted", [Item(entry)])
    only_added(HAND_WRITTEN, after)
    loaded = parse_spec(after).accepted[-1]
    assert (loaded.why, loaded.by) == (why, by or None)


@given(name=st.text(min_size=1).filter(lambda s: s.strip()), comment=st.text())
def test_any_scenario_name_and_comment_leave_a_spec_that_loads(name: str, comment: str) -> None:
    node = {"name": name, "when": "it happens", "then": [name]}
    after = add_items(HAND_WRITTEN, "scenarios", [Item(node, (comment,), blank_before=True)])
    only_added(HAND_WRITTEN, after)
    scenario = parse_spec(after).scenarios[-1]
    assert (scenario.name, scenario.then[0].text) == (name, name)
