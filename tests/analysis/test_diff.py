import hashlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.diff import Difference, DiffOptions, Message, diff_responses

JSON = (("Content-Type", "application/json; charset=utf-8"),)


def message(body: object = None, status: int = 200, headers=JSON, **kw: object) -> Message:  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, bytes) else orjson.dumps(body) if body is not None else b""
    return Message(
        status, headers, raw, sha256=hashlib.sha256(raw).hexdigest(), size=len(raw), **kw
    )  # type: ignore[arg-type]


def test_equal_answers_have_no_difference() -> None:
    a = message({"id": 1})
    assert diff_responses(a, message({"id": 1})) == []


def test_status_headers_and_json_body() -> None:
    legacy = message(
        {"id": 17, "error": "Task not found"}, 404, headers=(*JSON, ("Location", "/a"))
    )
    candidate = message(
        {"id": "x"}, 400, headers=(("Content-Type", "application/json;charset=UTF-8"),)
    )
    assert diff_responses(legacy, candidate) == [
        Difference("status", "changed", 404, 400),
        Difference("headers.location", "missing", "/a", None),
        Difference("body.id", "type", 17, "x"),
        Difference("body.error", "missing", "Task not found", None),
    ]


def test_cookie_names_compare_not_values() -> None:
    legacy = message(headers=(("Set-Cookie", "sid=<redacted:1>; Path=/"), ("Set-Cookie", "a=1")))
    candidate = message(headers=(("Set-Cookie", "sid=<redacted:2>; Path=/"), ("Set-Cookie", "b=1")))
    assert diff_responses(legacy, candidate) == [
        Difference("headers.set-cookie.a", "missing", "a", None),
        Difference("headers.set-cookie.b", "extra", None, "b"),
    ]


def test_configured_headers_only() -> None:
    legacy = message(headers=(("X-Version", "1"), ("Date", "Mon")))
    candidate = message(headers=(("X-Version", "2"), ("Date", "Tue")))
    options = DiffOptions(headers=frozenset({"x-version"}))
    assert diff_responses(legacy, candidate, options) == [
        Difference("headers.x-version", "changed", "1", "2")
    ]


def test_every_header_is_compared_by_default() -> None:
    legacy = message(
        headers=(("X-More-Info", "a"), ("Server", "old"), ("Access-Control-Allow-Origin", "*"))
    )
    candidate = message(headers=(("x-more-info", "b"), ("Server", "old"), ("ETag", '"1"')))
    assert diff_responses(legacy, candidate) == [
        Difference("headers.access-control-allow-origin", "missing", "*", None),
        Difference("headers.etag", "extra", None, '"1"'),
        Difference("headers.x-more-info", "changed", "a", "b"),
    ]


def test_hop_by_hop_headers_and_content_length_are_not_compared() -> None:
    legacy = message(
        headers=(("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"), ("Content-Length", "3"))
    )
    candidate = message(headers=(("Transfer-Encoding", "chunked"), ("Keep-Alive", "timeout=5")))
    assert diff_responses(legacy, candidate) == []


def test_a_repeated_header_is_one_list() -> None:
    legacy = message(headers=(("Vary", "Accept"), ("Vary", "Origin")))
    assert diff_responses(legacy, message(headers=(("Vary", "Accept, Origin"),))) == []
    (found,) = diff_responses(legacy, message(headers=(("Vary", "Accept"),)))
    assert (found.location, found.legacy, found.candidate) == (
        "headers.vary",
        "Accept, Origin",
        "Accept",
    )


def test_text_is_compared_line_by_line() -> None:
    legacy = message(b"a\nb\nc\n", headers=())
    candidate = message(b"a\nB\nc\n", headers=())
    (found,) = diff_responses(legacy, candidate)
    assert (found.location, found.legacy, found.candidate) == ("body", "b", "B")
    assert found.summary == "1 of 3 lines differ, first at line 2"


def test_binary_and_truncated_bodies_compare_by_hash() -> None:
    (binary,) = diff_responses(message(b"\xff\x00", headers=()), message(b"\xff\x01", headers=()))
    assert binary.summary == "binary bodies differ"
    cut = message(b"same prefix", truncated=True)
    assert diff_responses(cut, message(b"same prefix", truncated=True)) == []
    other = Message(200, JSON, b"same prefix", truncated=True, sha256="ff", size=99)
    assert diff_responses(cut, other)[0].summary == "bodies over the stored size differ"


def test_json_against_text_is_a_type_difference() -> None:
    found = diff_responses(message({"a": 1}), message(b"<html>", headers=()))
    assert [(d.location, d.kind) for d in found] == [
        ("headers.content-type", "missing"),
        ("body", "type"),
    ]


def test_errors_compare_as_errors() -> None:
    assert diff_responses(message({}), Message(None, error="timeout")) == [
        Difference("error", "changed", None, "timeout")
    ]


def test_groups_fold_indexes() -> None:
    assert Difference("body.items[3].tags[0]", "changed").group == "body.items[*].tags[*]"


@given(st.binary(max_size=80), st.binary(max_size=80), st.integers(100, 599))
def test_any_bodies_never_crash(a: bytes, b: bytes, status: int) -> None:
    found = diff_responses(message(a, status), message(b))
    assert (found == []) == (a == b and status == 200)


def test_set_valued_headers_compare_as_sets_of_members() -> None:
    legacy = message(headers=(("Access-Control-Expose-Headers", "Backoff, Next-Page, ETag"),))
    shuffled = message(headers=(("access-control-expose-headers", "etag,Backoff, Next-Page"),))
    assert diff_responses(legacy, shuffled) == []
    fewer = message(headers=(("Access-Control-Expose-Headers", "Backoff, ETag"),))
    (found,) = diff_responses(legacy, fewer)
    assert (found.location, found.kind) == ("headers.access-control-expose-headers", "changed")


def test_other_lists_in_another_order_are_an_order_difference() -> None:
    legacy = message(headers=(("Link", "<a>; rel=next, <b>; rel=prev"),))
    candidate = message(headers=(("Link", "<b>; rel=prev, <a>; rel=next"),))
    (found,) = diff_responses(legacy, candidate)
    assert (found.location, found.kind) == ("headers.link", "order")


def test_set_valued_headers_echoed_in_a_body_compare_as_sets() -> None:
    legacy = message({"responses": [{"headers": {"Vary": "Accept, Origin", "X": "1"}}]})
    candidate = message({"responses": [{"headers": {"Vary": "Origin, Accept", "X": "2"}}]})
    found = diff_responses(legacy, candidate)
    assert [d.location for d in found] == ["body.responses[0].headers.X"]


@given(st.lists(st.sampled_from(["Accept", "Origin", "ETag", "Backoff"]), min_size=1))
def test_a_set_valued_header_equals_any_reordering_of_itself(members: list[str]) -> None:
    legacy = message(headers=(("Vary", ", ".join(members)),))
    candidate = message(headers=(("Vary", ",".join(reversed(members))),))
    assert diff_responses(legacy, candidate) == []


def test_a_body_field_merely_named_like_a_header_is_data() -> None:
    (found,) = diff_responses(message({"allow": "Admin"}), message({"allow": "admin"}))
    assert found.location == "body.allow"
    legacy, candidate = message({"vary": "Full Name, Email"}), message({"vary": "email, full name"})
    assert [d.location for d in diff_responses(legacy, candidate)] == ["body.vary"]


def test_a_header_named_in_one_sides_connection_is_hop_by_hop_on_that_side_only() -> None:
    # The candidate lists Location in its own Connection: its Location is not an answer
    # header any more, and the legacy's is missing from it.
    legacy = message(headers=(("Location", "/a"),))
    candidate = message(headers=(("Connection", "close, Location"), ("Location", "/b")))
    (found,) = diff_responses(legacy, candidate)
    assert (found.location, found.kind) == ("headers.location", "missing")
