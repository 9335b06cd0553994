"""Ids in XML bodies: learned from two answers by position, put into later requests."""

from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.records import Body, Response
from twinsight.traffic.book import CorrelationBook
from twinsight.traffic.correlation import (
    id_values,
    learn_pairs,
    referenced,
    rewrite_request,
)

UUID = "0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def xml(target: str, text: str, status: int = 200, content_type: str = "text/xml") -> Response:
    headers = (("Content-Type", content_type),)
    return Response(target, status, headers, Body.of(text.encode(), 1 << 20))


def created(order_id: str, *, prefixed: bool) -> str:
    """A CreateOrder answer: the legacy writes prefixes, the candidate a default namespace."""
    if prefixed:
        return (
            f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:o="urn:example:orders">'
            "<soap:Header><o:requestId>r-1</o:requestId></soap:Header><soap:Body>"
            f'<o:CreateOrderResponse nonce="n1"><o:order o:id="{order_id}">'
            f"<o:orderId>{order_id}</o:orderId><o:customer>acme</o:customer>"
            "</o:order></o:CreateOrderResponse></soap:Body></soap:Envelope>"
        )
    return (
        f'<Envelope xmlns="{SOAP}"><Header><requestId xmlns="urn:example:orders">r-2'
        '</requestId></Header><Body><CreateOrderResponse xmlns="urn:example:orders" nonce="n2">'
        f'<order xmlns:x="urn:example:orders" x:id="{order_id}"><orderId> {order_id} </orderId>'
        "<customer>acme</customer></order></CreateOrderResponse></Body></Envelope>"
    )


def test_pairs_come_from_id_elements_and_attributes_whatever_the_prefixes() -> None:
    pairs = learn_pairs(
        xml("legacy", created("17", prefixed=True)), xml("candidate", created(UUID, prefixed=False))
    )
    # requestId is id-like too: a pair nobody sends back, harmless.
    assert pairs == {"17": UUID, "r-1": "r-2"}


def test_echoes_faults_failures_and_html_teach_nothing() -> None:
    legacy, candidate = xml("legacy", created("17", prefixed=True)), created(UUID, prefixed=False)
    assert learn_pairs(legacy, xml("candidate", candidate), sent={"17"}) == {"r-1": "r-2"}
    assert learn_pairs(legacy, xml("candidate", candidate, status=500)) == {}
    fault = (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault><faultcode>s:Client</faultcode>'
        "<detail><orderId>9</orderId></detail></s:Fault></s:Body></s:Envelope>"
    )
    assert learn_pairs(xml("legacy", fault), xml("candidate", candidate)) == {}
    page = '<html><body><div id="a1">x</div></body></html>'
    other = '<html><body><div id="b2">x</div></body></html>'
    assert learn_pairs(xml("legacy", page, content_type="text/html"), xml("c", other)) == {}


def test_ids_in_lists_are_not_paired_by_position() -> None:
    def listing(*ids: str) -> str:
        orders = "".join(f"<order><orderId>{i}</orderId></order>" for i in ids)
        return f"<orders><listId>L</listId>{orders}</orders>"

    legacy = xml("legacy", listing("1", "2"))
    assert learn_pairs(legacy, xml("candidate", listing("b", "a"))) == {}
    # One item is no list: paired (the request named the customer, not the order).
    assert learn_pairs(xml("legacy", listing("1")), xml("candidate", listing("a"))) == {"1": "a"}


def test_id_values_of_an_xml_answer() -> None:
    assert id_values(xml("legacy", created("17", prefixed=True))) == {"17", "r-1"}


def request(order_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:o="urn:example:orders">\n'
        f'  <soap:Body>\n    <o:GetOrder ref="{order_id}" o:orderId="{order_id}">'
        f"<o:orderId>{order_id}</o:orderId><o:note>{order_id}</o:note></o:GetOrder>\n"
        "  </soap:Body>\n</soap:Envelope>\n"
    ).encode()


def test_a_soap_request_is_rewritten_in_id_elements_and_attributes_only() -> None:
    out = rewrite_request("candidate", "/soap", "", request("17"), {"17": UUID})
    text = out.body.decode()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope')
    assert text.endswith("</soap:Envelope>\n")
    assert f"<o:orderId>{UUID}</o:orderId>" in text
    assert f'o:orderId="{UUID}"' in text
    assert 'ref="17"' in text
    assert "<o:note>17</o:note>" in text
    assert {c.location for c in out.correlations} == {
        "body.Envelope.Body.GetOrder.orderId",
        "body.Envelope.Body.GetOrder.@orderId",
    }
    assert {(c.legacy_value, c.target_value) for c in out.correlations} == {("17", UUID)}


def test_bodies_that_do_not_parse_or_declare_a_dtd_are_sent_untouched() -> None:
    pairs = {"17": UUID}
    broken = b"<soap:Envelope><orderId>17</orderId><oops"
    assert rewrite_request("candidate", "/soap", "", broken, pairs).body is broken
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "17">]>'
        b"<r><orderId>17</orderId><x>&e;</x></r>"
    )
    out = rewrite_request("candidate", "/soap", "", bomb, pairs)
    assert out.body is bomb
    assert out.correlations == ()


def test_a_path_segment_with_an_extension_is_rewritten() -> None:
    out = rewrite_request("candidate", "/orders/17.xml", "", b"", {"17": UUID})
    assert out.path == f"/orders/{UUID}.xml"
    assert [c.location for c in out.correlations] == ["path"]
    # A whole segment known as it is wins over its stem; unknown stems stay.
    assert rewrite_request("c", "/v/1.2", "", b"", {"1.2": "x", "1": "y"}).path == "/v/x"
    assert rewrite_request("c", "/orders/18.xml", "", b"", {"17": UUID}).path == "/orders/18.xml"


def test_what_a_request_names_includes_xml_ids_and_stems() -> None:
    assert {"17", "soap"} <= referenced("/soap", "", request("17"))
    assert "17" in referenced("/orders/17.xml", "", b"")


async def test_the_book_learns_a_create_but_not_an_echo() -> None:
    book = CorrelationBook("candidate")
    legacy, candidate = xml("legacy", created("17", prefixed=True)), created(UUID, prefixed=False)
    assert book.settle("x1", legacy, xml("candidate", candidate), sent={"soap"})["17"] == UUID
    # The same answer to a GetOrder that named 18: nothing learned about 18 from it.
    echo = xml("legacy", created("18", prefixed=True))
    assert "18" not in book.settle("x2", echo, xml("candidate", candidate), sent={"18"})
    out = await book.rewrite("/soap", "", request("17"), wait=1)
    assert UUID.encode() in out.body


_XMLISH = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.builds(
        lambda tag, value, attr: f'<{tag} {attr}="{value}"><id>{value}</id></{tag}>'.encode(),
        st.sampled_from(["a", "o:b", "orderId"]),
        st.text("0123456789abc", max_size=8),
        st.sampled_from(["id", "x", "key"]),
    ),
    st.just(request("18")),
)


@settings(max_examples=300)
@given(_XMLISH)
def test_without_a_known_id_a_body_is_returned_byte_for_byte(body: bytes) -> None:
    out = rewrite_request("candidate", "/soap", "", body, {"999999": "z"})
    assert out.body == body
    assert out.correlations == ()
    assert rewrite_request("candidate", "/soap", "", body, {}).body is body
