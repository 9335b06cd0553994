"""Answers as people read them: JSON lines flagged where they differ, headers, curl."""

import shlex

from twinsight.report.bodies import (
    CURL_BODY_BYTES,
    MAX_BODY_BYTES,
    MAX_LINE_BYTES,
    body_lines,
    curl_command,
    differs_at,
    header_lines,
)


def test_a_location_flags_itself_and_what_lies_inside_it() -> None:
    assert differs_at("body.items[0].id", {"body.items[0]"})
    assert differs_at("body.items", {"body.items"})
    assert not differs_at("body.itemsx", {"body.items"})
    assert not differs_at("body.other", {"body.items"})


def test_json_is_pretty_printed_and_only_the_differing_lines_are_flagged() -> None:
    lines, note = body_lines(b'{"a": 1, "b": {"c": [1, 2]}, "d": "x"}', {"body.b.c[1]", "body.d"})
    assert note == ""
    assert [text for text, _ in lines] == [
        "{", '  "a": 1,', '  "b": {', '    "c": [', "      1,", "      2", "    ]", "  },",
        '  "d": "x"', "}",
    ]  # fmt: skip
    assert [text.strip() for text, flagged in lines if flagged] == ["2", '"d": "x"']


def test_a_whole_body_difference_flags_every_line_and_text_stays_text() -> None:
    lines, _ = body_lines(b"<p>one</p>\n<p>two</p>", {"body"})
    assert lines == (("<p>one</p>", True), ("<p>two</p>", True))


def test_empty_binary_and_long_bodies_say_so() -> None:
    assert body_lines(b"", set()) == ((), "empty body")
    assert body_lines(b"\x00\x01\x02", set())[1] == "binary body, 3 bytes"
    lines, note = body_lines(b"[" + b",".join(b"1" for _ in range(300)) + b"]", set(), max_lines=10)
    assert len(lines) == 10
    assert note == "cut at 10 of 302 lines"


def test_headers_are_flagged_by_lower_case_name() -> None:
    found = header_lines([{"name": "Content-Type", "value": "a"}, {"name": "X", "value": "b"}],
                         {"headers.content-type"})  # fmt: skip
    assert found == (("Content-Type", "a", True), ("X", "b", False))


def test_curl_quotes_every_word_and_leaves_out_what_curl_sets_itself() -> None:
    headers = [{"name": "Host", "value": "h"}, {"name": "X-Note", "value": "it's $HOME"}]
    command = curl_command("http://c.test/", "POST", "/a b", "q=1&r=2", headers, b"{'x': 1}")
    words = shlex.split(command)
    assert words == [
        "curl", "-X", "POST", "http://c.test/a b?q=1&r=2", "-H", "X-Note: it's $HOME",
        "--data-binary", "{'x': 1}",
    ]  # fmt: skip


def test_a_long_line_is_cut_by_bytes_with_a_visible_mark_and_a_note() -> None:
    body = b'{"blob": "' + b"x" * (1024 * 1024) + b'"}'
    lines, note = body_lines(body, {"body.blob"})
    shown = "\n".join(text for text, _ in lines)
    assert len(shown.encode()) < MAX_LINE_BYTES + 200
    assert [flagged for _, flagged in lines] == [False, True, False]
    cut = 1024 * 1024 + len('  "blob": ""') - MAX_LINE_BYTES
    assert f"[... {cut} more bytes cut]" in lines[1][0]
    assert f"{cut} bytes left out (1 line(s) cut at {MAX_LINE_BYTES} bytes" in note


def test_a_body_is_cut_by_bytes_over_all_its_lines() -> None:
    body = b"\n".join(b"y" * 1000 for _ in range(150))  # 150 lines, 150 kB, none too long
    lines, note = body_lines(body, set())
    assert sum(len(text) + 1 for text, _ in lines) <= MAX_BODY_BYTES + 50
    assert len(lines) < 150
    assert f"at most {MAX_BODY_BYTES} bytes shown" in note


def test_a_long_header_value_is_cut() -> None:
    ((_, value, _),) = header_lines([{"name": "X", "value": "v" * 100_000}], set())
    assert len(value) < MAX_LINE_BYTES + 50
    assert value.endswith(f"[... {100_000 - MAX_LINE_BYTES} more bytes cut]")


def test_curl_reads_a_long_body_from_a_file_and_says_so() -> None:
    command = curl_command("http://c.test", "POST", "/a", None, [], b"z" * (CURL_BODY_BYTES + 1))
    note, line = command.split("\n")
    size = CURL_BODY_BYTES + 1
    assert note == f"# the request body ({size} bytes) is not shown: save it as body.json"
    assert shlex.split(line)[-2:] == ["--data-binary", "@body.json"]
    assert "zzz" not in command
