"""Documents written with other prefixes are compared by serialisation after one takes the
other's prefixes (`xmlparse.rebound`): the same results as the element-by-element walk."""

from typing import Any

from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.xmlbody import diff_xml_bodies
from twinsight.analysis.xmldiff import diff_xml
from twinsight.analysis.xmlparse import Unparseable, canonical, parse_xml, rebound

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
        assert diff_xml(*rebound(root(legacy), root(candidate))) == expected


def test_rebound_keeps_each_document_as_it_was() -> None:
    legacy, candidate = root(big_order("o")), root(big_order("", price="0.99"))
    before = canonical(legacy), canonical(candidate)
    a, b = rebound(legacy, candidate)
    assert (canonical(a), canonical(b)) == before
    assert a.nsmap == b.nsmap
