"""Documents written with other prefixes are compared by serialisation after one takes the
other's prefixes (`xmlparse.rebound`): the same results as the element-by-element walk."""

from typing import Any

from twinsight.analysis.bodies.xmlbody import diff_xml_bodies
from twinsight.analysis.bodies.xmldiff import diff_xml
from twinsight.analysis.bodies.xmlparse import Unparseable, canonical, parse_xml, rebound
from twinsight.analysis.diff import Message, diff_responses

NS = "{urn:example:orders}"
XML = "application/xml"


def big_order(prefix: str, price: str = "4.00", at: int = 17) -> bytes:
    p = f"{prefix}:" if prefix else ""
    declared = f"xmlns:{prefix}" if prefix else "xmlns"
    lines = "".join(
        f'<{p}line id="L{i}"><{p}sku>S{i}</{p}sku><{p}price currency="EUR">'
        f"{price if i == at else '1.00'}</{p}price><{p}tags><{p}tag>t{i}</{p}tag>"
        f"<{p}tag>u{i}</{p}tag></{p}tags></{p}line>"
        for i in range(30)
    )
    return (
        f'<{p}order {declared}="urn:example:orders" id="9"><{p}lines>{lines}</{p}lines></{p}order>'
    ).encode()


def root(body: bytes | str) -> Any:
    parsed = parse_xml(body.encode() if isinstance(body, str) else body)
    assert not isinstance(parsed, Unparseable), parsed
    return parsed


def test_a_big_document_equal_up_to_prefixes_is_a_match_both_ways() -> None:
    for a, b in (("o", ""), ("", "o"), ("o", "q")):
        assert diff_xml_bodies(big_order(a), XML, big_order(b), XML) == []


def test_one_changed_leaf_deep_in_a_big_document_is_found_at_its_location() -> None:
    for a, b in (("o", ""), ("", "o"), ("o", "o")):
        found = diff_responses(
            Message(200, (("Content-Type", XML),), big_order(a)),
            Message(200, (("Content-Type", XML),), big_order(b, price="0.99")),
        )
        location = f"body.{NS}order.{NS}lines.{NS}line[17].{NS}price"
        assert [(d.location, d.kind, d.legacy, d.candidate) for d in found] == [
            (location, "changed", "4.00", "0.99")
        ]


def test_elements_without_namespace_are_not_taken_into_the_other_default_namespace() -> None:
    unqualified = '<r xmlns="urn:x"><a xmlns="">1</a><b>2</b></r>'
    qualified = '<p:r xmlns:p="urn:x"><p:a>1</p:a><p:b>2</p:b></p:r>'
    for legacy, candidate in ((unqualified, qualified), (qualified, unqualified)):
        expected = diff_xml(root(legacy), root(candidate))
        assert expected  # `a` is in no namespace on one side only
        with rebound(root(legacy), root(candidate)) as (a, b):
            assert diff_xml(a, b) == expected


def test_rebound_shows_each_document_as_it_is_and_puts_it_back() -> None:
    for legacy_prefix, candidate_prefix in (("o", ""), ("", "o")):
        legacy, candidate = root(big_order(legacy_prefix)), root(big_order(candidate_prefix))
        before = canonical(legacy), canonical(candidate), legacy.nsmap, candidate.nsmap
        with rebound(legacy, candidate) as (a, b):
            assert (canonical(a), canonical(b)) == before[:2]
            assert a.nsmap == b.nsmap
        assert (canonical(legacy), canonical(candidate), legacy.nsmap, candidate.nsmap) == before
        assert len(legacy[0]) == len(candidate[0]) == 30


def test_a_body_read_again_is_parsed_once_and_still_whole_after_a_diff() -> None:
    legacy, candidate = big_order("o"), big_order("", price="0.99")
    assert parse_xml(legacy) is parse_xml(legacy)
    for _ in range(2):
        found = diff_xml_bodies(legacy, XML, candidate, XML)
        assert [d.location for d in found or []] == [
            f"body.{NS}order.{NS}lines.{NS}line[17].{NS}price"
        ]
    assert canonical(root(candidate)) == canonical(root(big_order("o", price="0.99")))


def test_list_items_are_compared_alike_beside_text_other_children_and_the_mark() -> None:
    # Items serialised in one pass of their parent, cut at a private-use mark: the same
    # differences whether the parent holds text, other children, or the mark in the content.
    def listing(inner: str, head: str = "") -> str:
        return f'<r><ls a="x&lt;y">{head}{inner}</ls></r>'

    items = "<i>1</i><i>2</i><i>3</i>"
    cases = [
        (listing(items), listing("<i>1</i><i>5</i><i>3</i>")),
        (listing(items, "t&lt;"), listing("<i>1</i><i>5</i><i>3</i>", "t&lt;")),
        (listing(items + "<o/>"), listing("<i>1</i><i>5</i><i>3</i><o/>")),
        (listing("<i>1\ue000</i><i>2</i><i>3</i>"), listing("<i>1\ue000</i><i>5</i><i>3</i>")),
        (listing(items), listing("")),
        (listing(""), listing(items)),
    ]
    for legacy, candidate in cases:
        a, b = root(legacy), root(candidate)
        found = [(d.location, d.kind) for d in diff_xml(a, b)]
        if "5" in candidate:
            assert ("body.r.ls.i[1]", "changed") in found, (legacy, found)
        # the walk over canonical trees (other prefixes) says the same
        other = root(candidate.replace("<r>", '<r xmlns:z="urn:z">'))
        assert [(d.location, d.kind) for d in diff_xml(a, other)] == found
        assert a[0].text == ("t<" if "t&lt;" in legacy else None)
        assert [item.tail for item in a[0]] == [None] * len(a[0])  # the marks taken away
