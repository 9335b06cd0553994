"""The legacy's own order evidence read from XML answers: a list it serves shuffled for the
same request makes that list's `order` difference noise, at the location the diff names."""

from twinsight.analysis.bodies.xmlorder import xml_lists
from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.inference import Evidence, infer
from twinsight.analysis.order import OrderEvidence

XML = (("Content-Type", "application/xml"),)
ENDPOINT = "POST /soap ListOrders"


def page(*skus: str) -> bytes:
    lines = "".join(f"<line><sku>{s}</sku></line>" for s in skus)
    return f'<o:list xmlns:o="urn:o"><o:order><lines>{lines}</lines></o:order></o:list>'.encode()


def test_lists_are_located_as_the_diff_locates_their_order() -> None:
    (found,) = xml_lists(page("a", "b", "c"), "application/xml")
    (difference,) = diff_responses(
        Message(200, XML, page("a", "b", "c")), Message(200, XML, page("c", "a", "b"))
    )
    assert difference.kind == "order"
    assert found[0] == difference.group == "body.{urn:o}list.{urn:o}order.lines.line"
    assert len(found[1]) == 3


def test_a_list_the_legacy_shuffles_for_one_request_is_unstable_order() -> None:
    evidence = OrderEvidence()
    for body in (page("a", "b", "c"), page("b", "c", "a")):
        evidence.observe_lists(ENDPOINT, b"same request", xml_lists(body, "application/xml"))
    groups = evidence.unstable().groups(ENDPOINT)
    assert groups == {"body.{urn:o}list.{urn:o}order.lines.line"}
    (difference,) = diff_responses(
        Message(200, XML, page("a", "b", "c")), Message(200, XML, page("c", "a", "b"))
    )
    assert infer(difference, Evidence(unstable=groups)) == "unstable order"


def test_a_list_served_in_one_order_stays_a_real_order_difference() -> None:
    evidence = OrderEvidence()
    for _ in range(2):
        evidence.observe_lists(ENDPOINT, b"same", xml_lists(page("a", "b"), "application/xml"))
    evidence.observe_lists(ENDPOINT, b"other", xml_lists(page("b", "a"), "application/xml"))
    assert evidence.unstable().groups(ENDPOINT) == frozenset()
    assert list(xml_lists(b"not xml", "text/plain")) == []
    assert list(xml_lists(b"<broken", "application/xml")) == []
