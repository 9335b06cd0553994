"""What expressions see of a body, by its Content-Type: JSON, XML and forms as maps."""

import time

import pytest

from twinsight.spec.bodies import MAX_BYTES, declares_structure, parse_body
from twinsight.spec.inputs import RequestView
from twinsight.spec.xmlmap import MAX_DEPTH, xml_map

SOAP = b"""<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <o:GetOrderResponse xmlns:o="urn:example:orders">
      <o:order id="17">
        <o:status>open</o:status>
        <o:total currency="EUR">12.50</o:total>
        <o:line><o:sku>A</o:sku></o:line>
        <o:line><o:sku>B</o:sku></o:line>
        <o:note/>
      </o:order>
    </o:GetOrderResponse>
  </soap:Body>
</soap:Envelope>"""


def test_json_bodies_as_before() -> None:
    assert parse_body(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert parse_body(b'{"a": 1}', "application/json") == {"a": 1}
    assert parse_body(b"plain words", "text/plain") == "plain words"
    assert parse_body(b"\xff\xfe\x00", None) is None
    assert parse_body(b"") is None
    assert parse_body(b"<b>bold</b>", "text/html") == "<b>bold</b>"  # HTML stays text


def test_soap_envelope_as_nested_maps() -> None:
    body = parse_body(SOAP, "text/xml; charset=utf-8")
    order = body["Envelope"]["Body"]["GetOrderResponse"]["order"]
    assert order["@"] == {"id": "17"}
    assert order["status"] == "open"  # only text: a plain string
    assert order["total"] == {"@": {"currency": "EUR"}, "#text": "12.50"}
    assert order["line"] == [{"sku": "A"}, {"sku": "B"}]  # repeated siblings: a list
    assert order["note"] == ""
    assert "#text" not in order  # indentation is not text
    assert list(body) == ["Envelope"]


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/xml", "application/soap+xml", "application/atom+xml"]
)
def test_xml_content_types(content_type: str) -> None:
    assert parse_body(b"<a><b>1</b></a>", content_type) == {"a": {"b": "1"}}
    assert declares_structure(content_type)


def test_xml_without_content_type_is_sniffed() -> None:
    assert parse_body(b"\xef\xbb\xbf  <a x='1'/>") == {"a": {"@": {"x": "1"}, "#text": ""}}
    assert parse_body(b"<not closed") == "<not closed"
    assert parse_body(b"<a/>", "text/plain") == "<a/>"  # a declared type is believed


def test_mixed_text_beside_children() -> None:
    assert xml_map(b"<p>Hello <b>you</b> there</p>") == {"p": {"#text": "Hello there", "b": "you"}}
    assert xml_map(b"<p><![CDATA[a < b]]></p>") == {"p": "a < b"}


def test_namespaces_dropped_and_collisions_keyed_as_written() -> None:
    body = xml_map(
        b'<r xmlns="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" c:id="1" id="2" xml:lang="en">'
        b"<x>1</x><b:x>2</b:x><x>3</x><b:x>4</b:x><b:y>5</b:y></r>"
    )
    assert body == {
        "r": {
            "@": {"c:id": "1", "id": "2", "lang": "en"},
            "x": ["1", "3"],  # written without a prefix: the bare name
            "b:x": ["2", "4"],  # another namespace's x: as written
            "y": "5",  # no collision: the prefix is dropped
        }
    }
    # Without an unprefixed one the first namespace wins; a second default namespace
    # has no prefix to show.
    first = xml_map(b'<r xmlns:p="urn:p" xmlns:q="urn:q"><p:x>1</p:x><q:x>2</q:x></r>')
    assert first == {"r": {"x": "1", "q:x": "2"}}
    other = xml_map(
        b'<r xmlns:p="urn:p"><p:x>1</p:x><x xmlns="urn:q">2</x><x xmlns="urn:z">3</x></r>'
    )
    assert other == {"r": {"p:x": "1", "x": "2", "{urn:z}x": "3"}}


def test_unsafe_xml_is_not_parsed() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    external = b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a>&ext;</a>'
    entities = b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    laughs = b'<!DOCTYPE l [<!ENTITY l0 "ha">' + entities + b"]><l>&l9;</l>"
    started = time.process_time()
    for body in (xxe, external, laughs):
        assert xml_map(body) is None
        assert parse_body(body, "application/xml") == body.decode()  # as written, unexpanded
    assert time.process_time() - started < 1


def test_deep_xml_is_not_parsed() -> None:
    depth = MAX_DEPTH + 5
    deep = b"<a>" * depth + b"x" + b"</a>" * depth
    assert xml_map(deep) is None
    assert parse_body(deep, "application/xml") == deep.decode()
    shallow = b"<a>" * 10 + b"x" + b"</a>" * 10
    assert xml_map(shallow) is not None


def test_bodies_over_the_limit_are_not_mapped() -> None:
    big = b"<a>" + b"x" * MAX_BYTES + b"</a>"
    assert parse_body(big, "application/xml") == big.decode()
    form = b"a=" + b"x" * MAX_BYTES
    assert parse_body(form, "application/x-www-form-urlencoded") == form.decode()


def test_urlencoded_forms() -> None:
    body = parse_body(
        b"name=Ada+L&tag=a&tag=b&empty=&caf%C3%A9=%E2%9C%93",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
    assert body == {"name": "Ada L", "tag": ["a", "b"], "empty": "", "café": "✓"}
    assert parse_body(b"\xff=1", "application/x-www-form-urlencoded") is None


MULTIPART = (
    b"preamble\r\n--XyZ\r\n"
    b'Content-Disposition: form-data; name="title"\r\n\r\n'
    b"Buy milk\r\n--XyZ\r\n"
    b'Content-Disposition: form-data; name="tag"\r\n\r\n\xc3\xa9\r\n--XyZ\r\n'
    b'Content-Disposition: form-data; name="tag"\r\n\r\nb\r\n--XyZ\r\n'
    b'Content-Disposition: form-data; name="file"; filename="list.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"milk\r\neggs\r\n--XyZ\r\n"
    b"Content-Disposition: form-data\r\n\r\nno name\r\n--XyZ--\r\nepilogue"
)


def test_multipart_forms() -> None:
    body = parse_body(MULTIPART, 'multipart/form-data; boundary="XyZ"')
    assert body == {
        "title": "Buy milk",
        "tag": ["é", "b"],
        "file": {"filename": "list.txt", "content_type": "text/plain", "size": 10},
    }


def test_multipart_cut_short_or_without_boundary() -> None:
    cut = MULTIPART[: MULTIPART.index(b"milk\r\neggs") + 3]
    assert parse_body(cut, "multipart/form-data; boundary=XyZ") == {
        "title": "Buy milk",
        "tag": ["é", "b"],
    }
    assert parse_body(b"a\r\n", "multipart/form-data") == "a\r\n"


def test_request_view_reads_the_content_type() -> None:
    view = RequestView.of(
        "POST", "/orders", "", (("Content-Type", "application/x-www-form-urlencoded"),), b"q=1"
    )
    assert view.variables()["body"] == {"q": "1"}
    assert RequestView.of("POST", "/o", "", (), b"q=1").body == "q=1"


def test_multipart_parameters_quoted_escaped_and_extended() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="a;b"\r\n\r\n1\r\n'
        b'--b\r\ncontent-disposition: form-data; name="q"; filename="say \\"hi\\".txt"\r\n'
        b"\r\nxyz\r\n"
        b"--b\r\nContent-Disposition: form-data; name=u; filename*=UTF-8''b%C3%A9.txt\r\n"
        b"Content-Type: Text/Plain; charset=utf-8\r\n\r\n\r\n"
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n'
        b"Content-Type: text/plain; charset=nope\r\n\r\n\xc3\xa9\r\n--b--"
    )
    assert parse_body(body, "multipart/form-data; boundary=b") == {
        "a;b": "1",
        "q": {"filename": 'say "hi".txt', "content_type": "", "size": 3},
        "u": {"filename": "bé.txt", "content_type": "text/plain", "size": 0},
        "x": "é",
    }
