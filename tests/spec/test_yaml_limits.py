"""Hostile YAML: alias bombs, huge files and merge keys give located problems, quickly."""

import subprocess
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.errors import SpecError
from twinsight.spec import load_spec, parse_spec
from twinsight.spec.yamlsource import MAX_ALIAS_VALUES, MAX_BYTES, MAX_NODES

SPEC = """\
feature: Tasks
scenarios:
  - name: Complete
    when: {text: I complete a task, request: {method: POST, path: "/tasks/{id}/complete"}}
    then: [It is completed]
"""


def alias_bomb(levels: int) -> str:
    """The billion-laughs document: each level lists the previous one nine times."""
    names = "abcdefghijklmnop"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, levels):
        previous = names[level - 1]
        lines.append(f"{names[level]}: &{names[level]} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_alias_bomb_is_a_located_problem_in_bounded_time_and_memory() -> None:
    started = time.perf_counter()
    (only,) = problems(alias_bomb(9))
    assert time.perf_counter() - started < 1.0
    assert only.startswith("s.yaml:5:1: ")
    assert f"aliases expand to more than {MAX_ALIAS_VALUES:,} values" in only
    assert "(write the values out" in only
    tracemalloc.start()
    try:
        problems(alias_bomb(9))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_a_smaller_alias_bomb_is_refused_too() -> None:
    # 9^6 values: loads in seconds without a bound, then fails for unrelated reasons.
    (only,) = problems(alias_bomb(6))
    # Located at the key whose list of aliases crosses the limit (e: [*d, ...]).
    assert only.startswith("s.yaml:5:1: aliases expand")


def test_small_aliases_and_merge_keys_still_load() -> None:
    text = SPEC.replace(
        "    then: [It is completed]\n",
        "    given: &usual [A task exists, I am signed in]\n"
        "    then: [It is completed]\n"
        "  - name: Delete\n"
        "    when: &deleting {text: I delete it, request: {method: DELETE, path: '/tasks/{id}'}}\n"
        "    given: *usual\n"
        "    then: [It is gone]\n"
        "  - name: Delete again\n"
        "    when: {<<: *deleting, text: I delete it twice}\n"
        "    given: *usual\n"
        "    then: [It is still gone]\n",
    )
    spec = parse_spec(text)
    assert spec.scenarios[1].given == spec.scenarios[0].given
    again = spec.scenarios[2].when
    assert again.text == "I delete it twice"
    assert again.request is not None
    assert again.request.method == "DELETE"


def test_a_bad_value_merged_in_is_located_where_it_was_written() -> None:
    text = (
        "base: &base {method: [not, text], path: /x}\n"
        "feature: x\n"
        "scenarios:\n"
        "  - name: a\n"
        "    when: {text: t, request: {<<: *base}}\n"
        "    then: [x]\n"
    )
    found = problems(text)
    assert "s.yaml:1:1: top level: unknown key 'base'" in found[0]
    assert found[1] == "s.yaml:1:22: scenarios[0].when.request.method: expected text, found a list"


def test_deep_flow_nesting_is_a_located_problem() -> None:
    (only,) = problems("feature: " + "[" * 100 + "]" * 100 + "\n")
    assert only == "s.yaml:1:74: YAML nested deeper than 64 levels"


def test_text_over_the_size_limit_is_refused_before_parsing() -> None:
    started = time.perf_counter()
    (only,) = problems("feature: x\nk: [" + "1," * (MAX_BYTES // 2) + "]\n")
    assert time.perf_counter() - started < 1.0
    assert only.startswith(f"s.yaml: over the {MAX_BYTES:,}-byte limit of a spec file")


def test_a_file_over_the_size_limit_is_read_no_further(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("feature: x\n# " + "é" * (MAX_BYTES // 2) + "\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(big)
    assert str(caught.value).startswith(f"{big}: over the {MAX_BYTES:,}-byte limit")


def test_a_reused_anchor_is_legal_yaml_and_the_later_one_wins() -> None:
    text = SPEC.replace("feature: Tasks", "description: &d first\nfeature: &d Tasks")
    spec = parse_spec(text.replace("then: [It is completed]", "then: [*d]"))
    assert spec.scenarios[0].then[0].text == "Tasks"


def _twinsight(*args: str) -> subprocess.CompletedProcess[str]:
    return twinsight(*args, timeout=30)


def test_spec_check_on_an_alias_bomb_exits_1_with_one_located_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(9))
    done = _twinsight("spec", "check", str(bomb))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{bomb}:")
    assert "aliases expand to more than" in done.stderr


def test_analyze_with_an_alias_bomb_spec_exits_2(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(9))
    done = _twinsight("analyze", "--spec", str(bomb), "--store", str(tmp_path / "s.duckdb"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "aliases expand to more than" in done.stderr


@pytest.mark.parametrize("item", ["1,", "{},", "\n  - 1"])
def test_many_items_under_the_byte_limit_are_refused_before_parsing(item: str) -> None:
    # A 1 MiB `[1,1,...]` took 154 s and 1.14 GB; a block list of 262k items 58 s.
    count = min(MAX_NODES * 3, MAX_BYTES // len(item) - 20)
    body = "[" + item * count + "]" if item.endswith(",") else item * count
    started = time.perf_counter()
    (only,) = problems("feature: x\nscenarios: " + body + "\n")
    assert time.perf_counter() - started < 1.0
    assert f"more than {MAX_NODES:,} items, keys, anchors or tags, not read" in only
    assert only.startswith("s.yaml:")
