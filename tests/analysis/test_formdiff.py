"""Form bodies compared by field: urlencoded and multipart, through `diff_responses` too."""

from collections import Counter
from urllib.parse import quote_from_bytes, urlencode

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.difference import BodyDifference
from twinsight.analysis.bodies.formdiff import diff_form_bodies, form_kind, read_form
from twinsight.analysis.diff import Difference, Message, diff_responses

FORM = "application/x-www-form-urlencoded"


def multipart(boundary: str, parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of (name, filename, content) parts, and its Content-Type."""
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        head = f"Content-Disposition: {disposition}\r\n"
        if filename is not None:
            head = f'Content-Disposition: {disposition}; filename="{filename}"\r\n'
            head += "Content-Type: image/png\r\n"
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f'multipart/form-data; boundary="{boundary}"'


def found(a: bytes, b: bytes, kind: str = FORM) -> list[tuple[str, str, object, object]]:
    result = diff_form_bodies(a, kind, b, kind)
    assert result is not None
    return [(d.location, d.kind, d.legacy, d.candidate) for d in result]


def test_fields_are_compared_by_name_whatever_their_order() -> None:
    assert found(b"email=a%40x.org&name=Ann", b"name=Ann&email=a%40x.org") == []
    assert found(b"email=a%40x.org&name=Ann", b"name=Bob&email=a%40x.org&age=3") == [
        ("body.age", "extra", None, "3"),
        ("body.name", "changed", "Ann", "Bob"),
    ]
    assert found(b"email=a&name=Ann", b"email=a") == [("body.name", "missing", "Ann", None)]


def test_a_repeated_name_is_a_list_compared_as_jsondiff_compares_arrays() -> None:
    assert found(b"tag=a&tag=b", b"tag=b&tag=a") == [("body.tag", "order", ["a", "b"], ["b", "a"])]
    assert found(b"tag=a&tag=b", b"tag=a&tag=c&tag=d") == [
        ("body.tag[1]", "changed", "b", "c"),
        ("body.tag[2]", "extra", None, "d"),
    ]
    assert found(b"tag=a", b"tag=a&tag=b") == [("body.tag[1]", "extra", None, "b")]


def test_names_of_other_characters_are_quoted() -> None:
    assert found(b"user%5Bemail%5D=a", b"user%5Bemail%5D=b") == [
        ('body["user[email]"]', "changed", "a", "b")
    ]


def test_a_multipart_body_with_another_boundary_is_a_match() -> None:
    parts = [("name", None, b"Ann"), ("avatar", "a.png", b"\x89PNG\x00\xff")]
    a, a_type = multipart("AAA", parts)
    b, b_type = multipart("----WebKitFormBoundary7MA4YWxk", parts)
    assert diff_form_bodies(a, a_type, b, b_type) == []


def test_a_file_part_is_compared_by_name_type_size_and_hash() -> None:
    a, kind = multipart("x", [("avatar", "a.png", b"one"), ("note", None, b"hi")])
    b, _ = multipart("x", [("avatar", "b.png", b"other"), ("note", None, b"hi")])
    differences = {d.location: d for d in diff_form_bodies(a, kind, b, kind) or []}
    assert set(differences) == {
        "body.avatar.filename",
        "body.avatar.size",
        "body.avatar.sha256",
    }
    assert differences["body.avatar.size"].legacy == "3"
    assert str(differences["body.avatar.sha256"].legacy).startswith("sha256:")


def test_a_file_against_a_text_field_is_a_type_difference() -> None:
    a, kind = multipart("x", [("doc", "a.txt", b"hello")])
    b, _ = multipart("x", [("doc", None, b"hello")])
    assert [(d.location, d.kind) for d in diff_form_bodies(a, kind, b, kind) or []] == [
        ("body.doc", "type")
    ]


def test_a_form_against_another_kind_of_body_is_a_type_difference() -> None:
    result = diff_form_bodies(b"a=1", FORM, b"a=1", "text/plain")
    assert result == [
        BodyDifference("body", "type", "form", "text/plain", "one body is a form, the other not")
    ]
    body, kind = multipart("x", [("a", None, b"1")])
    assert [d.kind for d in diff_form_bodies(body, kind, b"a=1", FORM) or []] == ["type"]
    assert diff_form_bodies(b"a=1", "text/plain", b"a=2", None) is None


def test_a_declared_form_that_does_not_read_as_one_is_left_to_text() -> None:
    body, kind = multipart("x", [("a", None, b"1")])
    assert diff_form_bodies(body, "multipart/form-data", body + b"!", kind) is None
    assert diff_form_bodies(body[:-10], kind, body, kind) is None  # cut short
    assert diff_form_bodies(b"\xff=1", FORM, b"a=1", FORM) is None
    assert read_form(b"a=1", "text/plain") is None
    assert form_kind("Multipart/Form-Data; boundary=x") == "multipart"


def test_diff_responses_reaches_the_form_comparer() -> None:
    headers = (("Content-Type", FORM),)
    found = diff_responses(Message(200, headers, b"a=1&b=2"), Message(200, headers, b"b=2&a=3"))
    assert found == [Difference("body.a", "changed", "1", "3")]


def test_bytes_no_charset_decodes_stay_what_they_were() -> None:
    # Each undecodable byte is written \\xNN: two different bodies never read the same.
    assert found(b"name=Jos%E9&sig=%FF%01", b"name=Jos%E8&sig=%FE%01") == [
        ("body.name", "changed", "Jos\\xE9", "Jos\\xE8"),
        ("body.sig", "changed", "\\xFF\x01", "\\xFE\x01"),
    ]
    assert found(b"a%FF=1", b"a%FE=1") == [
        ('body["a\\\\xFE"]', "extra", None, "1"),
        ('body["a\\\\xFF"]', "missing", "1", None),
    ]
    # The text `\xE9` as sent is told apart from the byte: its backslash doubled.
    assert found(b"v=%5CxE9", b"v=%E9") == [("body.v", "changed", "\\\\xE9", "\\xE9")]
    assert found(b"v=C%3A%5Cdir", b"v=C%3A%5Cdir") == []
    body, kind = multipart("zz", [("f", "a.png", b"x")])
    a = body.replace(b'"f"', b'"f\xe9"').replace(b"a.png", b"\xe9.png")
    b = body.replace(b'"f"', b'"f\xe9"').replace(b"a.png", b"\xe8.png")
    assert found(a, b, kind) == [('body["f\\\\xE9"].filename', "changed", "\\xE9.png", "\\xE8.png")]
    star = "form-data; name=\"f\"; filename*=UTF-8''%E9.png"
    assert read_form(
        f"--b\r\nContent-Disposition: {star}\r\n\r\nx\r\n--b--".encode(),
        "multipart/form-data; boundary=b",
    ) != read_form(
        f"--b\r\nContent-Disposition: {star.replace('E9', 'E8')}\r\n\r\nx\r\n--b--".encode(),
        "multipart/form-data; boundary=b",
    )


pairs = st.lists(st.tuples(st.sampled_from(["a", "b", "c d", "é"]), st.text(max_size=4)))


@given(st.binary(max_size=200), st.sampled_from([FORM, "multipart/form-data; boundary=b"]))
def test_arbitrary_bytes_never_raise(body: bytes, kind: str) -> None:
    diff_form_bodies(body, kind, b"a=1", kind)
    diff_form_bodies(b"--b--", kind, body, kind)


@given(pairs)
def test_a_form_against_itself_has_no_difference(fields: list[tuple[str, str]]) -> None:
    body = urlencode(fields).encode()
    assert diff_form_bodies(body, FORM, body, FORM) == []
    multi, kind = multipart("zz", [(n, None, v.encode()) for n, v in fields])
    assert diff_form_bodies(multi, kind, multi, kind) == []


@given(pairs, pairs)
def test_the_diff_is_symmetric(ours: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> None:
    a, b = urlencode(ours).encode(), urlencode(theirs).encode()
    swap = {"missing": "extra", "extra": "missing"}

    def seen(found: list[BodyDifference] | None, flip: bool) -> Counter[tuple[object, ...]]:
        assert found is not None
        return Counter(
            (
                Difference(d.location, d.kind).group,
                swap.get(d.kind, d.kind) if flip else d.kind,
                str(d.candidate if flip else d.legacy),
                str(d.legacy if flip else d.candidate),
            )
            for d in found
        )

    assert seen(diff_form_bodies(a, FORM, b, FORM), False) == seen(
        diff_form_bodies(b, FORM, a, FORM), True
    )


# Bytes that decode, bytes that do not, and a backslash (the escape's own character).
raw = st.one_of(
    st.binary(max_size=12),
    st.lists(st.sampled_from([b"a", b"\\", b"\xc3\xa9", b"\xe8", b"\xff"]), max_size=3).map(
        b"".join
    ),
)


@given(raw, raw, raw)
def test_any_bytes_in_a_form_are_compared_as_bytes(x: bytes, y: bytes, name: bytes) -> None:
    ours = f"{quote_from_bytes(name)}={quote_from_bytes(x)}".encode()
    theirs = f"{quote_from_bytes(name)}={quote_from_bytes(y)}".encode()
    assert diff_form_bodies(ours, FORM, ours, FORM) == []
    differences = diff_form_bodies(ours, FORM, theirs, FORM)
    assert differences is not None
    assert bool(differences) == (x != y)
    # Every value is text a report can write.
    orjson.dumps([(d.location, d.legacy, d.candidate) for d in differences])


def test_a_field_known_to_repeat_is_indexed_even_when_sent_once() -> None:
    from twinsight.analysis.bodies.fieldstrings import field_lists

    form = "application/x-www-form-urlencoded"
    assert list(field_lists(b"tag=a&tag=b&title=x", form)) == ["body.tag"]
    (alone,) = diff_form_bodies(b"tag=a", form, b"tag=z", form)
    assert alone.location == "body.tag"
    (known,) = diff_form_bodies(b"tag=a", form, b"tag=z", form, lists=frozenset({"body.tag"}))
    (many, *_) = diff_form_bodies(b"tag=a&tag=b", form, b"tag=z&tag=b", form)
    assert known.location == many.location == "body.tag[0]"
