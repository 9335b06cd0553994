"""XML bodies compared structurally: namespaces resolved, whitespace and comments ignored,
element paths as locations, keyed lists, and the hardened parser."""

from typing import Any

from twinsight.analysis.bodies.difference import BodyDifference
from twinsight.analysis.bodies.xmldiff import diff_xml, natural_key
from twinsight.analysis.bodies.xmlparse import Node, Unparseable, canonical, parse_xml, render

NS = "{urn:example:orders}"


def root(text: str) -> Any:
    parsed = parse_xml(text.encode())
    assert not isinstance(parsed, Unparseable), parsed
    return parsed


def found(a: str, b: str) -> set[tuple[str, str]]:
    return {(d.location, d.kind) for d in diff_xml(root(a), root(b))}


def test_prefixes_default_namespace_indentation_comments_and_cdata_do_not_count() -> None:
    prefixed = (
        '<o:order xmlns:o="urn:example:orders" id="1"><!-- made by hand -->'
        "<o:note><![CDATA[a < b]]></o:note><o:total>3</o:total></o:order>"
    )
    default = """<?xml version="1.0"?>
    <order xmlns="urn:example:orders" id="1">
      <?render fast?>
      <note>a &lt; b</note>
      <total>3</total>
    </order>"""
    assert diff_xml(root(prefixed), root(default)) == []
    assert canonical(root(prefixed)) == canonical(root(default))


def test_locations_name_namespaced_elements_attributes_and_text() -> None:
    a = '<o:order xmlns:o="urn:example:orders" id="1"><o:total cur="EUR">3</o:total></o:order>'
    b = '<o:order xmlns:o="urn:example:orders" id="2"><o:total cur="USD">4</o:total></o:order>'
    assert diff_xml(root(a), root(b)) == [
        BodyDifference(f"body.{NS}order.@id", "changed", "1", "2"),
        BodyDifference(f"body.{NS}order.{NS}total.@cur", "changed", "EUR", "USD"),
        BodyDifference(f"body.{NS}order.{NS}total", "changed", "3", "4"),
    ]


def test_elements_without_namespace_have_bare_names_and_namespaced_attributes_braces() -> None:
    a = '<order xmlns:x="urn:x" x:rev="1"><total>3</total></order>'
    b = '<order xmlns:y="urn:x" y:rev="2"><total>3</total></order>'
    assert found(a, b) == {("body.order.@{urn:x}rev", "changed")}


def test_repeated_siblings_are_indexed_single_ones_are_not() -> None:
    a = "<order><lines><line>1</line><line>2</line></lines><note>x</note></order>"
    b = "<order><lines><line>1</line><line>5</line><line>7</line></lines><note>y</note></order>"
    assert found(a, b) == {
        ("body.order.lines.line[1]", "changed"),
        ("body.order.lines.line[2]", "extra"),
        ("body.order.note", "changed"),
    }


def test_a_renamed_element_is_missing_and_extra_and_a_namespace_change_is_real() -> None:
    renamed = found("<a><total>3</total></a>", "<a><sum>3</sum></a>")
    assert renamed == {("body.a.total", "missing"), ("body.a.sum", "extra")}
    moved = found('<a xmlns="urn:v1"><b>1</b></a>', '<a xmlns="urn:v2"><b>1</b></a>')
    assert moved == {("body.{urn:v1}a", "missing"), ("body.{urn:v2}a", "extra")}
    values = diff_xml(root("<a><total>3</total></a>"), root("<a/>"))
    assert values == [BodyDifference("body.a.total", "missing", "<total>3</total>", None)]


def test_an_element_become_text_is_a_type_difference() -> None:
    [difference] = diff_xml(root("<a><b><c>1</c></b></a>"), root("<a><b>1</b></a>"))
    assert (difference.location, difference.kind) == ("body.a.b", "type")
    assert (difference.legacy, difference.candidate) == ("<b><c>1</c></b>", "1")


def test_text_beside_child_elements_is_hash_text() -> None:
    assert found("<p>Hello <b>you</b> there</p>", "<p>Bye <b>you</b> there</p>") == {
        ("body.p.#text", "changed")
    }
    assert found("<p>Hello <b>you</b></p>", "<p><b>you</b></p>") == {("body.p.#text", "missing")}


def test_missing_and_extra_attributes() -> None:
    assert found('<a x="1"/>', '<a y="1"/>') == {("body.a.@x", "missing"), ("body.a.@y", "extra")}


def test_unkeyed_items_in_another_order_are_one_order_difference() -> None:
    a = "<l><i><v>1</v></i><i><v>2</v></i><i><v>3</v></i></l>"
    b = "<l><i><v>3</v></i><i><v>1</v></i><i><v>2</v></i></l>"
    [difference] = diff_xml(root(a), root(b))
    assert (difference.location, difference.kind) == ("body.l.i", "order")


def test_unkeyed_items_that_differ_are_compared_index_by_index() -> None:
    a = "<l><i><v>1</v></i><i><v>2</v></i></l>"
    b = "<l><i><v>2</v></i><i><v>3</v></i></l>"
    assert found(a, b) == {("body.l.i[0].v", "changed"), ("body.l.i[1].v", "changed")}


def test_keyed_items_are_matched_by_key_with_one_order_difference() -> None:
    a = '<l><i id="A"><p>1</p></i><i id="B"><p>2</p></i><i id="C"><p>3</p></i></l>'
    b = '<l><i id="C"><p>3</p></i><i id="A"><p>9</p></i><i id="B"><p>2</p></i></l>'
    differences = diff_xml(root(a), root(b))
    assert [(d.location, d.kind, d.legacy, d.candidate) for d in differences] == [
        ("body.l.i", "order", "A, B, C", "C, A, B"),
        ("body.l.i[0].p", "changed", "1", "9"),  # at the legacy's index
    ]


def test_keys_come_from_attributes_or_text_only_children_in_any_namespace() -> None:
    a = root('<l xmlns="urn:x"><i><href>/a</href></i><i><href>/b</href></i></l>')
    b = root('<l xmlns="urn:x"><i><href>/b</href></i><i><href>/a</href></i></l>')
    assert natural_key(list(a), list(b)) == "href"
    # A key must be unique within the list and the same set on both sides.
    c = root('<l><i code="x" name="1"/><i code="x" name="2"/></l>')
    assert natural_key(list(c), list(c)) == "name"
    d = root('<l><i id="1"/><i id="2"/></l>')
    e = root('<l><i id="1"/><i id="3"/></l>')
    assert natural_key(list(d), list(e)) is None


def test_fresh_ids_on_each_side_are_no_key_so_items_compare_by_index() -> None:
    a = '<l><i id="a1"><p>1</p></i><i id="a2"><p>2</p></i></l>'
    b = '<l><i id="b1"><p>1</p></i><i id="b2"><p>2</p></i></l>'
    assert found(a, b) == {("body.l.i[0].@id", "changed"), ("body.l.i[1].@id", "changed")}


def test_differently_named_siblings_compare_whatever_their_order() -> None:
    assert found("<a><b>1</b><c>2</c></a>", "<a><c>2</c><b>1</b></a>") == set()


def test_a_renamed_root_is_missing_and_extra() -> None:
    assert found("<a/>", "<b/>") == {("body.a", "missing"), ("body.b", "extra")}


def test_whole_elements_render_as_short_canonical_xml() -> None:
    element = root('<o:a xmlns:o="urn:o" k="v"><o:b>x &amp; y</o:b><c/></o:a>')
    assert render(element) == '<a xmlns="urn:o" k="v"><b>x &amp; y</b><c xmlns=""/></a>'
    assert render(element, limit=10) == "<a xmln..."
    # The canonical tree is the XML, not its spelling: another prefix, the same node.
    respelled = root('<a xmlns="urn:o" k="v"><b>x &amp; y</b><c xmlns=""/></a>')
    assert canonical(element) == canonical(respelled)
    assert canonical(element) != canonical(root('<a xmlns="urn:o" k="w"><b>x</b><c/></a>'))


# the hardened parser


def test_entity_declarations_are_refused_without_expanding_anything() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><l>&d;&d;&d;&d;&d;&d;&d;&d;&d;</l>'
    )
    xxe = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    remote = '<!DOCTYPE a [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><a>&x;</a>'
    for body in (laughs, xxe, remote):
        parsed = parse_xml(body.encode())
        assert isinstance(parsed, Unparseable), body
        assert "DTD" in parsed.reason or "ntity" in parsed.reason


def test_an_external_doctype_is_neither_fetched_nor_refused() -> None:
    parsed = parse_xml(b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a>1</a>')
    assert not isinstance(parsed, Unparseable)
    assert canonical(parsed) == Node("a", (), "1", ())


def test_malformed_bodies_say_why() -> None:
    for body in (b"", b"<a>", b"<a/><b/>", b"<a>&undefined;</a>", b"\xff\xfe\x00"):
        parsed = parse_xml(body)
        assert isinstance(parsed, Unparseable), body
        assert parsed.reason
