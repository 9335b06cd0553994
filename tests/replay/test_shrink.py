"""Shrinking a request, without servers: candidates are smaller, valid, and reach a minimum."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.replay.minimize import minimize
from twinsight.replay.shrink import Request, families, size

JSON_TYPE = ("Content-Type", "application/json")


def post(document: Any, *headers: tuple[str, str], query: str = "") -> Request:
    body = json.dumps(document).encode()
    return Request("POST", "/tasks", query, (("Host", "svc"), JSON_TYPE, *headers), body)


def candidates(request: Request) -> list[Request]:
    """Each family's smallest, middle and largest member."""
    found = []
    for family in families(request):
        for k in {0, family.above // 2, family.above - 1}:
            found.append(family.build(k))
    return found


def title_over(limit: int) -> Any:
    """A predicate: the body is a JSON object whose title has more than `limit` UTF-8 bytes."""

    async def still_diverges(request: Request) -> bool:
        try:
            document = json.loads(request.body)
        except ValueError:
            return False
        title = document.get("title") if isinstance(document, dict) else None
        return isinstance(title, str) and len(title.encode()) > limit

    return still_diverges


def run(request: Request, predicate: Any, **bounds: Any) -> Request:
    return asyncio.run(minimize(request, predicate, allow_writes=True, **bounds)).request


def test_the_long_title_shrinks_to_the_shortest_that_still_diverges() -> None:
    request = post(
        {"title": "é" * 200, "description": "groceries", "priority": 3, "tags": ["a"]},
        ("Authorization", "Bearer t"),
        ("Accept", "*/*"),
        query="verbose=1",
    )
    smallest = run(request, title_over(255))
    assert json.loads(smallest.body) == {"title": "é" * 128}
    assert smallest.query == ""
    assert [name for name, _ in smallest.headers] == ["Host", "Content-Type"]


def test_host_and_a_bodys_content_type_are_never_dropped() -> None:
    request = post({"a": 1}, ("Accept", "*/*"), ("X-One", "1"))
    for candidate in candidates(request):
        names = {name for name, _ in candidate.headers}
        assert "Host" in names
        assert not candidate.body or "Content-Type" in names


def test_the_body_goes_whole_first_then_the_content_type_may_go() -> None:
    request = post({"a": 1})
    first = next(families(request)).build(0)
    assert first.body == b""
    assert any("Content-Type" not in dict(c.headers) for c in candidates(first)), (
        "without a body the Content-Type is an ordinary header"
    )


def test_a_form_body_loses_fields_and_shortens_values_still_encoded() -> None:
    request = Request(
        "POST",
        "/f",
        "",
        (("Content-Type", "application/x-www-form-urlencoded"),),
        b"name=%C3%A9t%C3%A9&keep=1&other=x+y",
    )
    found = {c.body for c in candidates(request)}
    assert b"keep=1&other=x+y" in found  # a field dropped, the others byte for byte
    assert b"name=%C3%A9&keep=1&other=x+y" in found  # "été" cut to one character


def test_query_values_shorten_and_parameters_go() -> None:
    request = Request("GET", "/s", "q=hello%20world&page=12")
    queries = {c.query for c in candidates(request)}
    assert {"", "page=12", "q=hello%20world", "q=hello&page=12"} <= queries


def test_numbers_booleans_and_nested_objects_get_simpler() -> None:
    request = post({"n": 1000, "f": 2.5, "b": True, "o": {"x": 1}})
    bodies = [json.loads(c.body) for c in candidates(request) if c.body]
    assert {"n": 0, "f": 2.5, "b": True, "o": {"x": 1}} in bodies
    assert {"n": 1000, "f": 2, "b": True, "o": {"x": 1}} in bodies
    assert {"n": 1000, "f": 2.5, "b": False, "o": {"x": 1}} in bodies
    assert {"n": 1000, "f": 2.5, "b": True, "o": {}} in bodies


def test_a_number_bisects_to_the_smallest_that_still_diverges() -> None:
    async def big(request: Request) -> bool:
        return json.loads(request.body or b"{}").get("n", 0) >= 37

    assert json.loads(run(post({"n": 5000}), big).body) == {"n": 37}


def test_a_minimal_request_has_no_candidates() -> None:
    assert list(families(Request("GET", "/", "", (("Host", "svc"),)))) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
headers = st.lists(
    st.tuples(st.sampled_from(["Host", "Accept", "X-A", "Content-Type"]), st.text(max_size=8)),
    max_size=4,
).map(tuple)
content_types = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)


@settings(max_examples=150)
@given(json_values, headers, st.text(max_size=20))
def test_every_candidate_of_a_json_body_is_strictly_smaller(
    document: Any, extra: tuple[tuple[str, str], ...], query: str
) -> None:
    request = post(document, *extra, query=query)
    for candidate in candidates(request):
        assert size(candidate) < size(request)
        if candidate.body:
            json.loads(candidate.body)  # still JSON


@settings(max_examples=150)
@given(st.binary(max_size=40), content_types, headers, st.text(max_size=20))
def test_every_candidate_of_any_body_is_strictly_smaller(
    body: bytes, media: str, extra: tuple[tuple[str, str], ...], query: str
) -> None:
    request = Request("PUT", "/x", query, (("Content-Type", media), *extra), body)
    for candidate in candidates(request):
        assert size(candidate) < size(request)


@settings(max_examples=60)
@given(st.text(min_size=1, max_size=60), st.integers(0, 80), json_values)
def test_the_result_is_the_shortest_prefix_over_the_limit(
    title: str, limit: int, other: Any
) -> None:
    encoded = len(title.encode("utf-8", "surrogatepass"))
    if encoded <= limit or not _encodable(title):
        return
    smallest = json.loads(run(post({"title": title, "other": other}), title_over(limit)).body)
    shortest = next(k for k in range(len(title) + 1) if len(title[:k].encode()) > limit)
    assert set(smallest) == {"title"}
    # the shortest prefix over the limit, or something as short in plain letters
    assert len(smallest["title"]) == shortest
    assert len(smallest["title"].encode()) > limit


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


FORM_TYPE = ("Content-Type", "application/x-www-form-urlencoded")


def form(body: bytes) -> Request:
    return Request("POST", "/f", "", (FORM_TYPE,), body)


def test_a_raw_utf8_form_value_keeps_its_bytes_and_shortens_by_characters() -> None:
    found = {c.body for c in candidates(form("name=Jürgen&k=1".encode()))}
    assert "name=Jürgen".encode() in found  # k dropped, the raw UTF-8 kept byte for byte
    assert b"name=J%C3%BCr&k=1" in found  # "Jürgen" cut to three characters, not mojibake


def test_a_form_value_in_no_encoding_shortens_by_bytes() -> None:
    found = {c.body for c in candidates(form(b"x=%FF%FEab&k=\xff"))}
    assert b"x=%FF%FE&k=\xff" in found  # not the U+FFFD a UTF-8 decoding would put there
    assert b"k=\xff" in found


form_items = st.lists(
    st.binary(min_size=1, max_size=12).filter(lambda b: b"&" not in b), max_size=6
)


@settings(max_examples=150)
@given(form_items)
def test_a_form_body_split_in_halves_rejoins_byte_for_byte(items: list[bytes]) -> None:
    body = b"&".join(items)
    built = {f.what: f.build(0).body for f in families(form(body))}
    if len(items) >= 2:
        first, second = (
            built["body fields: second half dropped"],
            built["body fields: first half dropped"],
        )
        assert first + b"&" + second == body


@settings(max_examples=150)
@given(st.binary(max_size=60))
def test_form_candidates_keep_the_other_items_byte_for_byte(body: bytes) -> None:
    items = [item for item in body.split(b"&") if item]
    for candidate in candidates(form(body)):
        kept = [item for item in candidate.body.split(b"&") if item]
        if _subsequence(kept, items):
            continue  # items dropped, the rest as they were
        changed = [n for n, (a, b) in enumerate(zip(items, kept, strict=True)) if a != b]
        assert len(changed) == 1, "one value shortened, every other item as it was"
        name, _, value = items[changed[0]].partition(b"=")
        new_name, _, new_value = kept[changed[0]].partition(b"=")
        assert new_name == name
        assert _unquoted(value).startswith(_unquoted(new_value)), "a prefix of the value's bytes"


def _subsequence(part: list[bytes], whole: list[bytes]) -> bool:
    rest = iter(whole)
    return all(any(item == other for other in rest) for item in part)


def _unquoted(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))
