"""XML bodies in the whole flow: which bodies are XML, unparseable ones, inferred noise on
element text and attributes, rules' globs on element paths, and SOAP faults as errors."""

import uuid

from twinsight.analysis.bodies.soap import body_fault, soap_fault
from twinsight.analysis.bodies.xmlbody import xml_strings
from twinsight.analysis.bodies.xmlparse import parse_xml
from twinsight.analysis.classify import classify
from twinsight.analysis.diff import Difference, Message, diff_responses
from twinsight.analysis.inference import Evidence, Window, infer
from twinsight.analysis.rules import Rule, covering_rule

NS = "{urn:example:orders}"
XML = (("Content-Type", "application/xml; charset=utf-8"),)
NOW = 1_796_032_800.0  # 2026-11-30T10:00:00Z


def message(body: str, headers: tuple[tuple[str, str], ...] = XML, status: int = 200) -> Message:
    return Message(status, headers, body.encode())


Headers = tuple[tuple[str, str], ...]


def body_differences(
    a: str, b: str, headers_a: Headers = XML, headers_b: Headers = XML
) -> list[Difference]:
    found = diff_responses(message(a, headers_a), message(b, headers_b))
    return [d for d in found if d.location.startswith("body")]


ORDER = """<o:order xmlns:o="urn:example:orders" o:ref="r1" id="{id}">
  <o:placed>{placed}</o:placed>
  <o:lines>
    <o:line sku="A"><o:price>3.00</o:price></o:line>
    <o:line sku="B"><o:price>{price}</o:price></o:line>
  </o:lines>
</o:order>"""


def order(id: str = "7", placed: str = "2026-11-30T10:00:00Z", price: str = "4.00") -> str:
    return ORDER.format(id=id, placed=placed, price=price)


def test_xml_bodies_differ_at_element_paths_not_as_one_blob() -> None:
    differences = body_differences(order(), order(price="4.50"))
    assert [(d.location, d.kind, d.legacy, d.candidate) for d in differences] == [
        (f"body.{NS}order.{NS}lines.{NS}line[1].{NS}price", "changed", "4.00", "4.50")
    ]
    assert differences[0].group == f"body.{NS}order.{NS}lines.{NS}line[*].{NS}price"


def test_a_reindented_document_with_another_prefix_is_a_match() -> None:
    other = order().replace("o:", "").replace("xmlns:o=", "xmlns=").replace("\n", "")
    other = other.replace('ref="r1"', 'xmlns:p="urn:example:orders" p:ref="r1"')
    assert body_differences(order(), other) == []


def test_xml_is_known_by_content_type_or_without_one_by_its_first_byte() -> None:
    bare = (("X-Other", "1"),)
    assert body_differences("<a>1</a>", "<a>2</a>", bare, bare)[0].location == "body.a"
    assert body_differences("<a>1</a>", "<a>2</a>", XML, bare)[0].location == "body.a"
    html = (("Content-Type", "text/html"),)
    # Not XML: a page, compared on its DOM (see test_htmldiff).
    assert body_differences("<a>1</a>", "<a>2</a>", html, html)[0].location == "body.html.body.a"
    soap = (("Content-Type", "application/soap+xml"),)
    atom = (("Content-Type", "application/atom+xml"),)
    assert body_differences("<a>1</a>", "<a>2</a>", soap, atom)[0].location == "body.a"


def test_unparseable_xml_is_one_body_difference_with_the_reason() -> None:
    [difference] = body_differences("<a>1</a>", "<a>1</b>")
    assert (difference.location, difference.kind) == ("body", "changed")
    assert difference.summary.startswith("the candidate's body is not well-formed XML:")
    assert difference.legacy == "<a> document"
    bomb = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    [refused] = body_differences(bomb, "<a>1</a>")
    assert "the legacy's body is not well-formed XML: declares its own DTD" in refused.summary
    [neither] = body_differences("<a>", "<b>")
    assert neither.summary == "neither body is well-formed XML"
    bare = (("X-Other", "1"),)
    [html] = body_differences("<p>one<br>two", "<p>one<br>three", bare, bare)
    assert (html.location, html.summary) == ("body", "1 of 1 lines differ, first at line 1")


def test_json_against_xml_and_xml_against_text_are_type_differences() -> None:
    json = (("Content-Type", "application/json"),)
    text = (("Content-Type", "text/plain"),)
    [mixed] = body_differences('{"a": 1}', "<a>1</a>", json, XML)
    assert (mixed.kind, mixed.legacy, mixed.candidate) == ("type", "json", "xml")
    [plain] = body_differences("<a>1</a>", "Internal error", XML, text)
    assert (plain.kind, plain.legacy, plain.candidate) == ("type", "xml", "text")
    [lines] = body_differences("a\nb", "a\nc", text, text)
    assert lines.summary.startswith("1 of 2 lines differ")


def test_fresh_ids_and_times_inside_xml_are_inferred_noise_and_renames_are_not() -> None:
    legacy = order(id=str(uuid.uuid4()), placed="2026-11-30T10:00:00Z")
    candidate = order(id=str(uuid.uuid4()), placed="2026-11-30T10:00:01Z")
    windows = Evidence(Window(NOW, NOW + 0.2), Window(NOW + 0.01, NOW + 0.3))
    differences = body_differences(legacy, candidate)
    assert {d.location: infer(d, windows) for d in differences} == {
        f"body.{NS}order.@id": "opaque",
        f"body.{NS}order.{NS}placed": "time",
    }
    renamed = body_differences(order(), order().replace("o:placed", "o:created"))
    assert {(d.location, d.kind, infer(d, windows)) for d in renamed} == {
        (f"body.{NS}order.{NS}placed", "missing", None),
        (f"body.{NS}order.{NS}created", "extra", None),
    }
    moved = body_differences(order(), order().replace("urn:example:orders", "urn:example:v2"))
    assert {d.kind for d in moved} == {"missing", "extra"}
    assert all(infer(d, windows) is None for d in moved)


def test_normalize_globs_match_element_paths() -> None:
    price = Difference(f"body.{NS}order.{NS}lines.{NS}line[3].{NS}price", "changed", "1", "2")
    ref = Difference(f"body.{NS}order.{NS}lines.{NS}line[0].@id", "changed", "1", "2")
    for where, difference in [
        ("body.*price", price),
        (f"body.{NS}order.*.@id", ref),
        (f"body.{NS}order.{NS}lines.{NS}line[*].{NS}price", price),
        ("GET /orders/{id} body.*line[*].@id", ref),
    ]:
        assert covering_rule(difference, [Rule.parse(where)], "GET", "/orders/7"), where
    assert covering_rule(price, [Rule.parse("body.*.@id")], "GET", "/orders/7") is None


SOAP_11 = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<s:Fault><faultcode>s:Server</faultcode><faultstring>Order 7 not found</faultstring></s:Fault>
</s:Body></s:Envelope>"""
SOAP_12 = """<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code>
<env:Reason><env:Text xml:lang="en">database down</env:Text></env:Reason></env:Fault>
</env:Body></env:Envelope>"""
SOAP_OK = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<o:order xmlns:o="urn:example:orders">7</o:order></s:Body></s:Envelope>"""


def test_soap_faults_of_both_versions_are_read() -> None:
    assert soap_fault(parse_xml(SOAP_11.encode())) == "s:Server: Order 7 not found"
    assert soap_fault(parse_xml(SOAP_12.encode())) == "env:Receiver: database down"
    assert soap_fault(parse_xml(SOAP_OK.encode())) is None
    assert body_fault(b'{"Fault": 1}', "application/json") is None


def test_a_fault_where_the_legacy_answered_is_a_candidate_error_naming_the_fault() -> None:
    soap = (("Content-Type", "text/xml"),)
    legacy = message(SOAP_OK, soap)
    for status in (500, 200):
        candidate = message(SOAP_11, soap, status)
        verdict = classify(legacy, candidate, [], [])
        assert verdict.classification == "candidate_error"
        assert "Order 7 not found" in verdict.reason
    both = classify(message(SOAP_11, soap, 500), message(SOAP_12, soap, 500), [], [])
    assert both.classification != "candidate_error"


def test_strings_of_an_xml_answer_are_listed_at_their_location_groups() -> None:
    strings = list(xml_strings(order(id="x1").encode(), "application/xml"))
    line = f"body.{NS}order.{NS}lines.{NS}line[*]"
    assert strings == [
        (f"body.{NS}order.@{NS}ref", "r1"),
        (f"body.{NS}order.@id", "x1"),
        (f"body.{NS}order.{NS}placed", "2026-11-30T10:00:00Z"),
        (f"{line}.@sku", "A"),
        (f"{line}.{NS}price", "3.00"),
        (f"{line}.@sku", "B"),
        (f"{line}.{NS}price", "4.00"),
    ]
    assert list(xml_strings(b'{"a": 1}', "application/json")) == []
