"""Literals of inline scripts: taken out of the code, compared one by one."""

from twinsight.analysis.htmlscript import MAX_LITERALS, changed_literals, literals


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
