"""SOAP calls are all `POST /soap`: their endpoint names the operation."""

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.endpoints import Endpoints
from twinsight.analysis.soapop import soap_operation
from twinsight.examples.orders.traffic import SESSION
from twinsight.spec.inputs import RequestView

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(operation: str, prefix: str = "s:") -> bytes:
    declared = f'xmlns:{prefix[:-1]}="{SOAP}"' if prefix else f'xmlns="{SOAP}"'
    return (
        f"<{prefix}Envelope {declared}><{prefix}Header><t>1</t></{prefix}Header>"
        f'<{prefix}Body><m:{operation} xmlns:m="urn:x"><id>1</id></m:{operation}>'
        f"</{prefix}Body></{prefix}Envelope>"
    ).encode()


def view(body: bytes, *headers: tuple[str, str]) -> RequestView:
    return RequestView.of("POST", "/soap", "", list(headers), body)


def test_the_operation_comes_from_the_soapaction_header() -> None:
    for action in (
        '"urn:example:orders/CreateOrder"',
        "http://example.com/orders#CreateOrder",
        "urn:CreateOrder",
        '"CreateOrder"',
    ):
        assert soap_operation({"soapaction": action}, None) == "CreateOrder", action


def test_without_the_header_the_first_element_of_the_body_names_it() -> None:
    xml = ("Content-Type", "text/xml")
    assert (
        soap_operation(
            view(envelope("GetOrder"), xml).headers, view(envelope("GetOrder"), xml).body
        )
        == "GetOrder"
    )
    bare = view(envelope("ShipOrder", prefix=""))
    assert soap_operation(bare.headers, bare.body) == "ShipOrder"
    # The body as text (a parser of its own) and an empty SOAPAction: the body still tells.
    text = envelope("CancelOrder").decode()
    assert soap_operation({"soapaction": '""'}, text) == "CancelOrder"


def test_other_requests_have_no_operation() -> None:
    assert soap_operation({}, {"id": 1}) == ""
    assert soap_operation({"content-type": "text/xml"}, {"order": {"id": "1"}}) == ""
    assert soap_operation({}, "<s:Envelope><oops") == ""
    bomb = '<!DOCTYPE r [<!ENTITY e "x">]><Envelope><Body><Op/></Body></Envelope>'
    assert soap_operation({}, bomb) == ""


def test_endpoints_tell_operations_apart() -> None:
    endpoints = Endpoints()
    action = ("SOAPAction", '"urn:example:orders/CreateOrder"')
    assert endpoints.of_request(view(envelope("Other"), action)) == "POST /soap CreateOrder"
    assert endpoints.of_request(view(envelope("GetOrder"))) == "POST /soap GetOrder"
    plain = RequestView.of("get", "/orders/17.xml", "", [], b"")
    assert endpoints.of_request(plain) == endpoints.of("GET", "/orders/17.xml")
    assert endpoints.of("post", "/soap") == "POST /soap"


def test_every_soap_step_of_the_orders_example_names_its_operation() -> None:
    endpoints = Endpoints()
    for step in SESSION:
        headers = [("Content-Type", "text/xml; charset=utf-8")] if step.body else []
        if step.action:
            headers.append(("SOAPAction", f'"urn:example:orders/{step.action}"'))
        request = RequestView.of(step.method, step.path, "", headers, step.body.encode())
        expected = f"POST /soap {step.action}" if step.method == "POST" else None
        if expected is not None:
            assert endpoints.of_request(request) == expected


@given(
    st.dictionaries(st.sampled_from(["soapaction", "content-type"]), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=80), st.binary(max_size=40)),
)
def test_any_request_gets_an_operation_without_crashing(
    headers: dict[str, str], body: object
) -> None:
    found = soap_operation(headers, body)
    assert found == "" or " " not in found


def test_an_id_before_an_extension_is_a_parameter() -> None:
    endpoints = Endpoints()
    assert endpoints.of("GET", "/orders/17.xml") == "GET /orders/{id}.xml"
    assert endpoints.of("GET", "/orders/424242.xml") == "GET /orders/{id}.xml"
    assert endpoints.of("GET", f"/a/1/b/{'0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b'}.json") == (
        "GET /a/{id}/b/{id2}.json"
    )
    assert endpoints.of("GET", "/files/report.pdf") == "GET /files/report.pdf"
    assert endpoints.of("GET", "/v/1.2") == "GET /v/1.2"
