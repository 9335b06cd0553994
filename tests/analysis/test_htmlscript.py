"""Literals of inline scripts: taken out of the code, compared one by one."""

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.htmldiff import html_strings
from twinsight.analysis.bodies.htmlscript import (
    MAX_LITERALS,
    MAX_SCRIPT,
    changed_literals,
    literals,
)


def test_literals_are_quoted_strings_and_numbers_and_the_rest_is_code() -> None:
    code, values = literals("var a = 'x\\'y', b = \"q\", c = `t${1}`, d = 3.5, e1 = f(2);")
    assert values == ["x\\'y", "q", "t${1}", "3.5", "2"]
    assert code == "var a = \x00, b = \x00, c = \x00, d = \x00, e1 = f(\x00);"


def test_changed_literals_need_the_same_code_around_them() -> None:
    assert changed_literals('a("1");', 'a("2");') == [(0, "1", "2")]
    assert changed_literals('a("1");', '\n  a("1");\n') is None  # no literal differs
    assert changed_literals('a("1");', 'b("2");') is None
    assert changed_literals('a("1");', 'a("1", 2);') is None
    many = ",".join(f'"{i}"' for i in range(MAX_LITERALS + 1))
    assert len(changed_literals(many, many.replace('"3"', '"x"')) or []) == 1
    assert changed_literals(many, many.replace('"', '"y')) is None


_HOLE = "\x00"


def _old_literals(code: str) -> tuple[str, list[str]]:
    """The reference: the regex the tokenizer replaced (quadratic on unclosed quotes)."""
    pattern = re.compile(
        r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\b\d+(?:\.\d+)?\b""",
        re.DOTALL,
    )
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        token = match.group(0)
        found.append(token[1:-1] if token[0] in "\"'`" else token)
        return _HOLE

    return " ".join(pattern.sub(take, code).split()), found


def test_unclosed_quotes_are_read_in_one_pass() -> None:
    # Each unclosed quote used to rescan its line: 60 KB of them took seconds, 2 MiB hours.
    for quote in "\"'`":
        line = quote + ("\\" + quote) * 30_000
        started = time.perf_counter()
        code, found = literals(line + '\n"x" 1')
        assert time.perf_counter() - started < 2
        assert found == ["x", "1"]
        assert code.count(_HOLE) == len(found)
        # The same answers as the regex had, on a line short enough for it to read.
        short = quote + ("\\" + quote) * 300
        assert literals(short + "\n" + short) == _old_literals(short + "\n" + short)
    page = f"<html><script>{line}</script><p>x</p></html>".encode()
    started = time.perf_counter()
    list(html_strings(page, "text/html"))
    assert time.perf_counter() - started < 2


def test_an_unclosed_quote_leaves_later_literals_as_they_were_read() -> None:
    code = "// don't\nx = 'it''s'; y = \"a\\\"b 'c' \" + \"d\n\"e\" 'f\\\n' `g` 7 \\"
    assert literals(code) == _old_literals(code)
    assert literals(code)[1] == ["it", "s", "a\\\"b 'c' ", "e", "f\\\n", "g", "7"]


@given(st.text(alphabet="\"'`\\\n x1.", max_size=40))
def test_literals_are_read_as_the_regex_read_them(code: str) -> None:
    assert literals(code) == _old_literals(code)


def test_a_script_over_the_cap_is_compared_by_digest_only() -> None:
    big = 'a("1");' + " " * MAX_SCRIPT
    assert literals(big) == (big.split()[0], [])
    assert changed_literals(big, big.replace('"1"', '"2"')) is None
