import asyncio

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.records import Body, Response
from twinsight.traffic.book import CorrelationBook
from twinsight.traffic.correlation import (
    _id_fields,
    _is_id_name,
    id_values,
    learn_pairs,
    rewrite_request,
)
from twinsight.traffic.xmlids import parse_xml, xml_ids

UUID = "0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"


def answer(target: str, body: object, status: int = 201, location: str = "") -> Response:
    headers = (("Location", location),) if location else ()
    return Response(target, status, headers, Body.of(orjson.dumps(body), 1 << 20))


def test_pairs_come_from_id_fields_at_any_depth_and_location() -> None:
    legacy = answer(
        "legacy", {"id": 17, "title": "a", "owner": {"user_id": 3}}, location="/tasks/17"
    )
    candidate = answer(
        "candidate", {"id": UUID, "title": "a", "owner": {"user_id": 3}}, location=f"/tasks/{UUID}"
    )
    assert learn_pairs(legacy, candidate) == {"17": UUID}


def test_lists_pair_item_by_item_and_failures_teach_nothing() -> None:
    legacy = answer("legacy", {"items": [{"id": 1}, {"id": 2}]})
    candidate = answer("candidate", {"items": [{"id": "a"}, {"id": "b"}]})
    assert learn_pairs(legacy, candidate) == {"1": "a", "2": "b"}
    assert learn_pairs(legacy, answer("candidate", {"id": "x"}, status=500)) == {}


def test_a_request_is_rewritten_in_path_query_and_body() -> None:
    pairs = {"17": UUID, "3": "c3"}
    out = rewrite_request(
        "candidate",
        "/tasks/17/complete",
        "task_id=17&page=3",
        orjson.dumps({"parent_id": 17, "title": "17"}),
        pairs,
    )
    assert out.path == f"/tasks/{UUID}/complete"
    assert out.query == f"task_id={UUID}&page=3"
    assert orjson.loads(out.body) == {"parent_id": UUID, "title": "17"}
    assert {c.location for c in out.correlations} == {"path", "query.task_id", "body.parent_id"}


@given(
    st.lists(st.text("ab17/", max_size=5), max_size=4).map(lambda s: "/" + "/".join(s)),
    st.dictionaries(st.text("xyz", min_size=1, max_size=3), st.text("17", max_size=3), max_size=3),
)
def test_without_a_known_id_nothing_changes(path: str, query: dict[str, str]) -> None:
    from urllib.parse import urlencode

    encoded = urlencode(query)
    out = rewrite_request("candidate", path, encoded, b"", {"999": "z"})
    assert (out.path, out.query, out.correlations) == (path, encoded, ())


def test_id_values_of_a_response() -> None:
    legacy = answer("legacy", {"id": 17, "tags": [{"tagId": "t1"}]}, location="/tasks/17")
    assert id_values(legacy) == {"17", "t1"}


async def test_a_request_waits_for_a_pair_still_in_flight() -> None:
    book = CorrelationBook("candidate")
    legacy = answer("legacy", {"id": 17})
    book.announce("x1", id_values(legacy))
    waiting = asyncio.ensure_future(book.rewrite("/tasks/17", "", b"", wait=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert book.settle("x1", legacy, answer("candidate", {"id": UUID})) == {"17": UUID}
    out = await asyncio.wait_for(waiting, 1)
    assert out.path == f"/tasks/{UUID}"
    # An answer naming a pair the book holds (a PATCH of the task) learns nothing new.
    assert book.settle("x2", legacy, answer("candidate", {"id": UUID})) == {}


async def test_the_wait_is_bounded_and_a_failed_mirror_releases_it() -> None:
    book = CorrelationBook("candidate")
    book.announce("x1", {"5"})
    out = await book.rewrite("/tasks/5", "", b"", wait=0.05)
    assert out.path == "/tasks/5"
    book.settle("x1", answer("legacy", {"id": 5}), None)
    out = await asyncio.wait_for(book.rewrite("/tasks/5", "", b"", wait=5), 1)
    assert out.path == "/tasks/5"


async def test_the_book_forgets_the_oldest_pairs() -> None:
    book = CorrelationBook("candidate", max_pairs=2)
    for i in range(4):
        book.settle(str(i), answer("legacy", {"id": i}), answer("candidate", {"id": f"c{i}"}))
    assert dict(book.pairs) == {"2": "c2", "3": "c3"}


JSON_KEYS = st.sampled_from(["id", "taskId", "owner_id", "ids", "name", "tags", "uuid", "x"])
JSON = st.recursive(
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=4), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_id_values_are_the_values_of_the_id_fields(document: object) -> None:
    expected = {str(v) for _, v in _id_fields(document)}
    assert id_values(answer("legacy", document)) == expected


def test_id_values_of_xml_are_every_id_of_the_document() -> None:
    body = (
        b"<?xml version='1.0'?><o:orders xmlns:o='urn:o' o:id='root'><!-- id -->"
        b"<order id='17'><orderId>17</orderId><ownerId> o1 </ownerId><item><id>i1</id></item>"
        b"</order><order id='18'><orderId><!-- not a leaf -->18</orderId></order>"
        b"<id>" + b"x" * 300 + b"</id><id></id><keyId>k<b/></keyId></o:orders>"
    )
    legacy = Response("legacy", 201, (("Content-Type", "application/xml"),), Body(body))
    root = parse_xml(body)
    assert id_values(legacy) == {i.value for i in xml_ids(root, _is_id_name)}
    assert id_values(legacy) == {"root", "17", "o1", "i1", "18"}
