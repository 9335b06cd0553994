"""Validators carried over: each target gets its own ETag / Last-Modified in conditional headers."""

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from twinsight.records import Correlation, Response
from twinsight.traffic.book import CorrelationBook
from twinsight.traffic.validators import (
    learn_validators,
    needed_validators,
    rewrite_conditional,
    validator_keys,
)

LEGACY_DATE = "Mon, 30 Nov 2026 12:00:00 GMT"
OTHER_DATE = "Mon, 30 Nov 2026 12:00:03 GMT"
PAIRS = {'"a1"': '"c9"', 'W/"w1"': 'W/"cw"', LEGACY_DATE: OTHER_DATE}


def answer(
    target: str, etag: str | None, modified: str | None = None, status: int = 200
) -> Response:
    headers = [("ETag", etag)] if etag else []
    headers += [("Last-Modified", modified)] if modified else []
    return Response(target, status, tuple(headers))


def rewrite(**headers: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    sent = CIMultiDict((name.replace("_", "-"), value) for name, value in headers.items())
    new, found = rewrite_conditional("candidate", sent, PAIRS)
    return dict(new), [(c.legacy_value, c.target_value, c.location) for c in found]


def test_pairs_are_learned_from_two_successes_whole() -> None:
    legacy = answer("legacy", ' W/"a1" ', LEGACY_DATE)
    other = answer("candidate", '"c9"', OTHER_DATE)
    assert learn_validators(legacy, other) == {'W/"a1"': '"c9"', LEGACY_DATE: OTHER_DATE}
    assert validator_keys(legacy) == {'W/"a1"', LEGACY_DATE}
    assert learn_validators(legacy, answer("candidate", '"c9"', status=404)) == {}
    assert learn_validators(answer("legacy", "not-a-tag"), other) == {}
    # a date in another HTTP-date form is kept under its IMF-fixdate form
    assert learn_validators(answer("legacy", None, "Monday, 30-Nov-26 12:00:00 GMT"), other) == {
        LEGACY_DATE: OTHER_DATE
    }


def test_tag_lists_are_rewritten_tag_by_tag_keeping_star_and_weakness() -> None:
    assert rewrite(If_Match='"a1", "zz"') == (
        {"If-Match": '"c9", "zz"'},
        [('"a1"', '"c9"', "headers.if-match")],
    )
    assert rewrite(If_None_Match='W/"a1", W/"w1"')[0] == {"If-None-Match": 'W/"c9", W/"cw"'}
    assert rewrite(If_None_Match='"w1"')[0] == {"If-None-Match": '"cw"'}  # strong as asked
    assert rewrite(If_Match="*") == ({"If-Match": "*"}, [])
    assert rewrite(If_Match='"unknown"') == ({"If-Match": '"unknown"'}, [])


def test_dates_and_if_range_are_rewritten() -> None:
    assert rewrite(If_Modified_Since=LEGACY_DATE) == (
        {"If-Modified-Since": OTHER_DATE},
        [(LEGACY_DATE, OTHER_DATE, "headers.if-modified-since")],
    )
    assert rewrite(If_Unmodified_Since="Mon, 30 Nov 2026 12:00:00 +0000")[0] == {
        "If-Unmodified-Since": OTHER_DATE
    }
    assert rewrite(If_Range='"a1"')[0] == {"If-Range": '"c9"'}
    assert rewrite(If_Range=LEGACY_DATE)[0] == {"If-Range": OTHER_DATE}
    assert rewrite(If_Modified_Since="yesterday") == ({"If-Modified-Since": "yesterday"}, [])


def test_other_headers_keep_their_order_and_repeats() -> None:
    sent = CIMultiDict([("X-A", "1"), ("If-Match", '"a1"'), ("X-A", '"a1"'), ("ETag", '"a1"')])
    new, _ = rewrite_conditional("candidate", sent, PAIRS)
    assert list(new.items()) == [
        ("X-A", "1"),
        ("If-Match", '"c9"'),
        ("X-A", '"a1"'),
        ("ETag", '"a1"'),
    ]
    assert needed_validators(sent) == {'"a1"', 'W/"a1"'}


HEADER_NAMES = st.sampled_from(
    ["If-Match", "if-none-match", "If-Range", "If-Modified-Since", "Accept", "ETag", "X-Id"]
)
VALUES = st.one_of(
    st.sampled_from(['"a1"', 'W/"w1"', "*", LEGACY_DATE, '"a1", W/"w1"', "17"]),
    st.text(max_size=20),
)


@given(st.lists(st.tuples(HEADER_NAMES, VALUES), max_size=8))
def test_no_pairs_is_the_identity_and_other_headers_are_never_touched(
    items: list[tuple[str, str]],
) -> None:
    sent = CIMultiDict(items)
    assert rewrite_conditional("candidate", sent, {}) == (sent, ())
    new, found = rewrite_conditional("candidate", sent, PAIRS)
    assert len(new) == len(sent)
    for (name, before), (new_name, after) in zip(sent.items(), new.items(), strict=True):
        assert name == new_name
        if not name.lower().startswith("if-"):
            assert after == before
    assert all(c.location.startswith("headers.if-") for c in found)


async def test_a_conditional_request_waits_for_its_validator_in_flight() -> None:
    book = CorrelationBook("candidate")
    legacy = answer("legacy", '"a1"')
    book.announce("x1", set(), validator_keys(legacy))
    sent = CIMultiDict({"If-None-Match": '"a1"'})
    waiting = asyncio.ensure_future(book.rewrite_headers(sent, wait=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert book.settle("x1", legacy, answer("candidate", '"c9"'), learn_ids=False) == {}
    new, found = await waiting
    assert new["If-None-Match"] == '"c9"'
    assert found == (Correlation("candidate", '"a1"', '"c9"', "headers.if-none-match"),)
    assert book.pairs == {}  # validators never become id pairs


async def test_an_unknown_validator_is_sent_as_is_after_the_wait() -> None:
    book = CorrelationBook("candidate", max_pairs=1)
    book.announce("x1", set(), {'"a1"'})
    sent = CIMultiDict({"If-Match": '"a1"'})
    assert await book.rewrite_headers(sent, wait=0.01) == (sent, ())
    book.settle("x1", answer("legacy", '"a1"'), None)  # no other answer: nothing learned
    for n in range(3):
        book.settle(str(n), answer("legacy", f'"l{n}"'), answer("candidate", f'"c{n}"'))
    assert dict(book.validators) == {("", '"l2"'): '"c2"'}


def test_ids_never_touch_validators_nor_the_reverse() -> None:
    book = CorrelationBook("candidate")
    legacy = Response("legacy", 200, (("ETag", '"17"'),))
    book.settle("x", legacy, Response("candidate", 200, (("ETag", '"99"'),)), learn_ids=True)
    assert book.validators == {("", '"17"'): '"99"'}
    assert book.pairs == {}


HOSTILE_DATES = [
    "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
    "Mon, 01 Jan 2020 00:00:00 -99999999999999999999999",
    "Mon, 99 Jan 2020 00:00:00 GMT",
]


def test_a_hostile_date_is_no_validator_and_raises_nothing() -> None:
    for hostile in HOSTILE_DATES:
        legacy = answer("legacy", '"a1"', hostile)
        assert validator_keys(legacy) == {'"a1"'}
        assert learn_validators(legacy, answer("candidate", '"c9"', hostile)) == {'"a1"': '"c9"'}
        sent = CIMultiDict({"If-Modified-Since": hostile, "If-Range": hostile})
        assert rewrite_conditional("candidate", sent, PAIRS) == (sent, ())
        assert needed_validators(sent) == set()


def test_an_absurd_etag_is_no_validator() -> None:
    absurd = '"' + '"a"' * 34_000 + '"'  # about 100 KB of nested quotes
    assert validator_keys(answer("legacy", absurd)) == set()
    assert learn_validators(answer("legacy", absurd), answer("candidate", '"c9"')) == {}
    sent = CIMultiDict({"If-Match": absurd})
    new, found = rewrite_conditional("candidate", sent, PAIRS)
    assert dict(new) == {"If-Match": absurd}
    assert found == ()


async def test_validator_pairs_belong_to_the_resource_that_handed_them_out() -> None:
    book = CorrelationBook("candidate")
    later = "Mon, 30 Nov 2026 12:00:09 GMT"
    for path, tag, modified in [("/tasks/17", '"ab"', OTHER_DATE), ("/tasks/18", '"cd"', later)]:
        legacy, other = answer("legacy", '"1"', LEGACY_DATE), answer("candidate", tag, modified)
        book.settle(path, legacy, other, path=path)
    for path, tag, modified in [("/tasks/17", '"ab"', OTHER_DATE), ("/tasks/18", '"cd"', later)]:
        sent = CIMultiDict({"If-Match": '"1"', "If-Unmodified-Since": LEGACY_DATE})
        new, _ = await book.rewrite_headers(sent, path=path, wait=0)
        assert dict(new) == {"If-Match": tag, "If-Unmodified-Since": modified}
    unknown = CIMultiDict({"If-Match": '"1"'})
    assert await book.rewrite_headers(unknown, path="/tasks/19", wait=0) == (unknown, ())
    # a pair in flight for one resource holds up no request for another
    book.announce("x20", set(), {'"2"'}, path="/tasks/20")
    sent = CIMultiDict({"If-Match": '"2"'})
    started = asyncio.get_running_loop().time()
    assert await book.rewrite_headers(sent, path="/tasks/21", wait=5) == (sent, ())
    assert asyncio.get_running_loop().time() - started < 1
