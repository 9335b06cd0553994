"""Scenario checks read XML and form bodies as maps, through the real checking code."""

from twinsight.analysis.diff import Message
from twinsight.analysis.scenarios import check_scenarios
from twinsight.spec import CheckMemo, parse_spec
from twinsight.spec.inputs import RequestView

SPEC = parse_spec(
    """
feature: Orders over SOAP
scenarios:
  - name: An order is read back
    when:
      text: I read order 17
      request: {method: POST, path: /orders}
      match: request.body.id == "17"
    then:
      - The order is open: >-
          response.body.Envelope.Body.GetOrderResponse.order.status == "open"
      - Its total is in euros: >-
          response.body.Envelope.Body.GetOrderResponse.order.total["@"].currency == "EUR"
          && response.body.Envelope.Body.GetOrderResponse.order.total["#text"] == "12.50"
"""
)


def answer(status: str, content_type: str = "text/xml; charset=utf-8") -> Message:
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<o:GetOrderResponse xmlns:o="urn:example:orders"><o:order id="17">'
        f'<o:status>{status}</o:status><o:total currency="EUR">12.50</o:total>'
        "</o:order></o:GetOrderResponse></s:Body></s:Envelope>"
    )
    return Message(200, (("Content-Type", content_type),), body.encode())


def request(body: bytes = b"id=17&note=x") -> RequestView:
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    return RequestView.of("POST", "/orders", "", form, body)


def test_xml_response_fields_pass_and_fail() -> None:
    for memo in (None, CheckMemo()):
        results = check_scenarios(SPEC, request(), answer("open"), answer("closed"), memo=memo)
        assert [(r.line, r.legacy.passed, r.candidate.passed) for r in results] == [
            ("The order is open", True, False),
            ("Its total is in euros", True, True),
        ]
        assert results[0].candidate.reason


def test_form_request_fields_decide_whether_a_scenario_applies() -> None:
    assert check_scenarios(SPEC, request(b"id=18"), answer("open"), answer("open")) == []


def test_a_body_declared_otherwise_is_text() -> None:
    results = check_scenarios(
        SPEC, request(), answer("open"), answer("open", content_type="text/plain")
    )
    assert [r.candidate.passed for r in results] == [False, False]


def test_a_scenario_applies_through_any_of_its_bindings() -> None:
    spec = parse_spec(
        """
feature: Tasks
scenarios:
  - name: A task is read
    when:
      text: I read a task or its headers
      request:
        - {method: GET, path: "/tasks/{id}"}
        - {method: HEAD, path: "/tasks/{id}"}
    then:
      - It is found: response.status == 200 && request.params.id == "3"
"""
    )
    ok, missing = Message(200, (), b""), Message(404, (), b"")
    for method in ("GET", "HEAD"):
        view = RequestView.of(method, "/tasks/3", "", (), b"")
        (result,) = check_scenarios(spec, view, ok, missing)
        assert (result.legacy.passed, result.candidate.passed) == (True, False)
    assert check_scenarios(spec, RequestView.of("DELETE", "/tasks/3", "", (), b""), ok, ok) == []
    assert check_scenarios(spec, RequestView.of("GET", "/tasks/3/", "", (), b""), ok, ok) == []
