"""Undecodable bytes written `\\xNN`: valid Unicode, and one to one."""

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.printable import printable

parts = st.sampled_from([b"a", b"\\", b"x", b"u", b"\xc3\xa9", b"\xe9", b"\xff", b"\xed\xa0\x80"])
raw = st.lists(parts, max_size=5).map(b"".join)


def test_bytes_are_written_and_the_escape_itself_told_apart() -> None:
    assert printable("Jos\udce9") == "Jos\\xE9"
    assert printable("Jos\\xE9") == "Jos\\\\xE9"
    assert printable("C:\\dir é") == "C:\\dir é"
    assert printable("a\\b\udcff") == "a\\\\b\\xFF"
    assert printable("\ud800") == "\\uD800"


@given(raw, raw)
def test_different_bytes_read_differently_as_valid_text(x: bytes, y: bytes) -> None:
    ours = printable(x.decode("utf-8", "surrogateescape"))
    theirs = printable(y.decode("utf-8", "surrogateescape"))
    ours.encode("utf-8")  # no lone surrogate left
    assert (ours == theirs) == (x == y)
    text = x.decode("utf-8", "surrogateescape")
    if "\\x" not in text and "\\u" not in text and text.encode("utf-8", "replace") == x:
        assert ours == text  # valid text without an escape's look is left as it is
