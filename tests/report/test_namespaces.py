from hypothesis import given
from hypothesis import strategies as st

from twinsight.report.namespaces import Namespaces

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
ORDERS = "{urn:example:orders}"


def test_xml_locations_read_with_short_names_and_a_legend() -> None:
    names = Namespaces()
    location = f"body.{SOAP}Envelope.{SOAP}Body.{ORDERS}order.{ORDERS}total"
    assert names.short(location) == "body.envelope:Envelope.envelope:Body.orders:order.orders:total"
    assert names.legend() == [
        ("envelope", "http://schemas.xmlsoap.org/soap/envelope/"),
        ("orders", "urn:example:orders"),
    ]


def test_two_uris_ending_alike_get_two_names() -> None:
    names = Namespaces()
    assert names.short("{urn:a:orders}x {urn:b:orders}y {urn:a:orders}z") == (
        "orders:x orders2:y orders:z"
    )


def test_placeholders_and_json_paths_are_left_alone() -> None:
    names = Namespaces()
    for text in ("GET /tasks/{id}", "{origin}/tasks", 'body["{a}"]', "body.tasks[*].id"):
        assert names.short(text) == text
    assert names.legend() == []


@given(st.text())
def test_shortening_never_fails_and_keeps_text_without_uris(text: str) -> None:
    shown = Namespaces().short(text)
    if "{" not in text:
        assert shown == text
