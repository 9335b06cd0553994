"""Whatever the bytes and whatever the declared type, reading a body never raises, and
what it gives CEL is JSON-like data (maps, lists, strings, numbers)."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.spec.bodies import parse_body
from twinsight.spec.expressions import Evaluation

CONTENT_TYPES = [
    None,
    "",
    "application/json",
    "application/xml",
    "text/xml; charset=utf-8",
    "application/soap+xml",
    "application/atom+xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    'multipart/form-data; boundary="a b"',
    "multipart/form-data",
    "text/plain",
    ";;;",
]
FRAGMENTS = [
    b"<",
    b">",
    b"</a>",
    b"<a>",
    b"<b x='1'>",
    b"&amp;",
    b"&e;",
    b"<!DOCTYPE a [<!ENTITY e 'x'>]>",
    b"--b",
    b"--b--",
    b"\r\n",
    b"\r\n\r\n",
    b'Content-Disposition: form-data; name="f"; filename="x"',
    b"Content-Type: text/plain; charset=nope",
    b"Content-Disposition: form-data; name*=nope''%ff; filename=\"a\\\"",
    b"a=1",
    b"&",
    b"%",
    b"%ff",
    b"\xff",
    b"{",
    b'"',
]
bodies = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=30).map(b"".join),
)


def plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(plain, value))
    return value is None or isinstance(value, str | int | float | bool)


@given(bodies, st.sampled_from(CONTENT_TYPES))
def test_any_body_reads_as_plain_data(body: bytes, content_type: str | None) -> None:
    value = parse_body(body, content_type)
    assert plain(value)


@given(bodies, st.sampled_from(CONTENT_TYPES))
def test_cel_reads_any_body(body: bytes, content_type: str | None) -> None:
    evaluation = Evaluation({"response": {"body": parse_body(body, content_type)}})
    assert evaluation.check("response.body == response.body").passed
