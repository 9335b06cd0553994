"""HTML pages compared on what they show: which bodies are pages, DOM locations, what is a
match (re-indented, re-quoted, reordered markup) and what is not, noise inferred on tokens."""

import secrets

from twinsight.analysis.bodies.htmldiff import diff_html_bodies, html_strings
from twinsight.analysis.bodies.htmlparse import MAX_HTML_BYTES, claims_html
from twinsight.analysis.bodies.xmlbody import claims_xml
from twinsight.analysis.diff import Difference, Message, diff_responses
from twinsight.analysis.inference import Evidence, TokenEvidence, infer
from twinsight.analysis.rules import Rule, covering_rule

HTML = (("Content-Type", "text/html; charset=utf-8"),)
Headers = tuple[tuple[str, str], ...]

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>Orders</title>
  <meta name="description" content="Your orders">
  <link rel="stylesheet" href="/site.css">
  <script nonce="{nonce}">window.app = {{ready: true}};</script>
  <style>body {{ margin: 0 }}</style>
</head>
<body>
  <nav class="top bar"><ul><li><a href="/">Home</a></li><li><a href="/orders">Orders</a></li>
  </ul></nav>
  <main id="content">
    <h1>Your orders</h1>
    <p>Two orders, <b>one</b> open &amp; paid.<br>Thanks!</p>
    <img src="/logo.png" alt="Logo">
    <form id="login" action="/session" method="post">
      <input type="hidden" name="csrf" value="{csrf}">
      <input type="email" name="email" required>
      <select name="plan"><option value="a" selected>A</option><option value="b">B</option></select>
      <textarea name="note">hello</textarea>
    </form>
  </main>
</body>
</html>"""

REFORMATTED = """<html lang=en><head><title>Orders</title>
<meta content='Your orders' name=description>
<link href=/site.css rel=stylesheet><script nonce='{nonce}'>
    window.app = {{ready:   true}};
</script><style>
  body {{ margin: 0 }}
</style></head><body>
<nav class="bar top">
  <ul>
    <li><a href="/">Home</a></li>
    <li><a href='/orders'>Orders</a></li>
  </ul>
</nav>
<main id=content><h1>Your   orders</h1>
<p>Two orders,
   <b>one</b> open &#38; paid.<br/>Thanks!</p><img alt="Logo" src="/logo.png"/>
<form method=post action=/session id=login>
  <input value="{csrf}" name=csrf type=hidden><input name=email type=email required="required">
  <select name=plan>
    <option value=a selected=selected>A</option>
    <option value=b>B</option>
  </select>
  <textarea name=note>hello</textarea>
</form></main></body></html>"""

NONCE, CSRF = "Q2hpY2tlbkZvb0Jhcg", "f3Kq9Lm2Xw7Pz4Rt8Vb1Nc6Hy"


def page(template: str = PAGE, nonce: str = NONCE, csrf: str = CSRF) -> str:
    return template.format(nonce=nonce, csrf=csrf)


def body_differences(a: str, b: str, ha: Headers = HTML, hb: Headers = HTML) -> list[Difference]:
    found = diff_responses(Message(200, ha, a.encode()), Message(200, hb, b.encode()))
    return [d for d in found if d.location.startswith("body")]


def where(differences: list[Difference]) -> set[tuple[str, str]]:
    return {(d.location, d.kind) for d in differences}


FORM = "body.html.body.main#content.form#login"


def test_a_page_against_itself_and_against_its_reformatting_is_a_match() -> None:
    assert body_differences(page(), page()) == []
    # Indentation, attribute order, quotes, `<br>` / `<br/>`, entity / character, class order.
    assert body_differences(page(), page(REFORMATTED)) == []


def test_pages_are_known_by_content_type_or_without_one_by_their_start() -> None:
    assert claims_html(b"<p>x", "text/html; charset=utf-8")
    assert claims_html(b"<html/>", "application/xhtml+xml")
    assert claims_html(b"\xef\xbb\xbf  <!DOCTYPE HTML><p>x", None)
    assert claims_html(b"<html><p>x", None)
    assert not claims_html(b"<p>x", None)
    assert not claims_html(b"<html>", "text/plain")
    # The XML comparer leaves pages (XHTML too) to the page comparer.
    assert not claims_xml(b"<html/>", "application/xhtml+xml")
    assert not claims_xml(b"<!doctype html><html/>", None)
    assert claims_xml(b"<a/>", None)
    bare = (("X-Other", "1"),)
    [found] = body_differences("<!doctype html><h1>A</h1>", "<html><h1>B</h1>", bare, bare)
    assert (found.location, found.legacy, found.candidate) == ("body.html.body.h1", "A", "B")
    xhtml = (("Content-Type", "application/xhtml+xml"),)
    a = '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
    [found] = body_differences(a + "<body><p>1</p></body></html>", "<p>2</p>", xhtml, HTML)
    assert (found.location, found.kind) == ("body.html.body.p", "changed")


def test_one_side_not_a_page_or_a_binary_or_oversized_page_is_compared_as_text() -> None:
    text = (("Content-Type", "text/plain"),)
    assert body_differences("<h1>A</h1>", "<h1>B</h1>", HTML, text)[0].location == "body"
    assert diff_html_bodies(b"<p>a", "text/html", b"\x89PNG\x00\x01", "text/html") is None
    assert diff_html_bodies(b"\xff\xfe<p>", "text/html", b"<p>b", "text/html") is None
    assert diff_html_bodies(b"", "text/html", b"  ", "text/html") is None
    big = b"<p>" + b"a" * MAX_HTML_BYTES
    assert diff_html_bodies(big, "text/html", b"<p>b", "text/html") is None
    latin = "<p>caf\u00e9</p>".encode("latin-1")
    found = diff_html_bodies(latin, "text/html; charset=ISO-8859-1", b"<p>cafe", "text/html")
    assert found is not None
    assert found[0].legacy == "caf\u00e9"
    # Without a charset in the header, the page's own `<meta charset>` is read.
    meta = '<html><head><meta charset="windows-1252"></head><p>caf\u00e9 \u20ac'
    utf8 = "text/html; charset=utf-8"  # the header's charset comes first
    assert diff_html_bodies(meta.encode("cp1252"), "text/html", meta.encode(), utf8) == []
    # Deeper than the parser reads (it would drop the rest unseen): compared as text.
    deep = "<html>" + "<div>" * 300 + "{}" + "</div>" * 300
    deep_a, deep_b = deep.format("a").encode(), deep.format("b").encode()
    assert diff_html_bodies(deep_a, "text/html", deep_b, "text/html") is None


def test_text_headings_links_images_and_meta_are_compared_at_dom_paths() -> None:
    other = (
        page()
        .replace("<h1>Your orders", "<h1>Orders")
        .replace('href="/orders"', 'href="/my/orders"')
        .replace('alt="Logo"', 'alt="Brand"')
        .replace("<title>Orders", "<title>Shop")
        .replace('content="Your orders"', 'content="Orders"')
        .replace("<b>one</b> open", "<b>one</b> closed")
    )
    found = body_differences(page(), other)
    assert where(found) == {
        ("body.html.head.title", "changed"),
        ("body.html.head.meta[name=description].@content", "changed"),
        ("body.html.body.main#content.h1", "changed"),
        ("body.html.body.main#content.p", "changed"),
        ("body.html.body.nav.bar.ul.li[1].a.@href", "changed"),
        ("body.html.body.main#content.img.@alt", "changed"),
    }
    text = next(d for d in found if d.location.endswith("content.p"))
    assert (text.legacy, text.candidate) == (
        "Two orders, open & paid. Thanks!",
        "Two orders, closed & paid. Thanks!",
    )
    assert {d.group for d in found if "li" in d.location} == {
        "body.html.body.nav.bar.ul.li[*].a.@href"
    }


def test_form_fields_renamed_removed_or_retyped_are_real_differences() -> None:
    other = (
        page()
        .replace('name="email"', 'name="mail"')
        .replace('<textarea name="note">hello</textarea>', "")
        .replace('method="post"', 'method="get"')
        .replace('value="b"', 'value="c"')
    )
    found = body_differences(page(), other)
    assert where(found) == {
        (f"{FORM}.@method", "changed"),
        (f"{FORM}.input[name=email]", "missing"),
        (f"{FORM}.input[name=mail]", "extra"),
        (f"{FORM}.textarea[name=note]", "missing"),
        (f"{FORM}.select[name=plan].option[1].@value", "changed"),
    }
    removed = next(d for d in found if d.location.endswith("note]"))
    assert removed.legacy == '<textarea name="note">hello</textarea>'
    assert removed.candidate is None


def test_scripts_and_styles_are_compared_by_digest_or_by_their_address() -> None:
    other = page().replace("ready: true", "ready: false").replace("margin: 0", "margin: 1px")
    other = other.replace("/site.css", "/site.v2.css")
    found = body_differences(page(), other)
    assert where(found) == {
        ("body.html.head.script", "changed"),
        ("body.html.head.style", "changed"),
        ("body.html.head.link[rel=stylesheet].@href", "changed"),
    }
    script = next(d for d in found if d.location.endswith("script"))
    assert script.legacy.endswith("characters, sha256 " + script.legacy[-16:])
    assert script.legacy != script.candidate
    # A digest is no token: another script is never inferred noise.
    assert infer(script, Evidence()) is None


def test_a_csrf_token_and_a_nonce_fresh_per_exchange_are_inferred_opaque() -> None:
    def token() -> str:
        return secrets.token_urlsafe(18)

    found = body_differences(page(nonce=token(), csrf=token()), page(nonce=token(), csrf=token()))
    assert where(found) == {
        (f"{FORM}.input[name=csrf].@value", "changed"),
        ("body.html.head.script.@nonce", "changed"),
    }
    assert all(infer(d, Evidence()) == "opaque" for d in found)
    # A rule's glob addresses a field by form and name.
    csrf = next(d for d in found if "csrf" in d.location)
    assert covering_rule(csrf, [Rule.parse("body.*form#login*csrf*")], "GET", "/orders")
    assert covering_rule(csrf, [Rule.parse("body.*form#signup*")], "GET", "/orders") is None


def test_labels_use_ids_classes_and_names_but_not_generated_ones() -> None:
    a = '<html><div id="app-7f3a9c"><span class="css-1x2y3z msg">hi</span></div>'
    b = '<html><div id="app-0b5e11"><span class="css-9q8w7e msg">ho</span></div>'
    assert where(body_differences(a, b)) == {
        ("body.html.body.div.span.msg", "changed"),
        ("body.html.body.div.span.msg.@class", "changed"),
        ("body.html.body.div.@id", "changed"),
    }
    # Siblings of one label are indexed when either side has more than one.
    found = body_differences("<html><ul><li>a</li></ul>", "<html><ul><li>a</li><li>b</li></ul>")
    assert where(found) == {("body.html.body.ul.li[1]", "extra")}


def test_differences_are_symmetric() -> None:
    other = page().replace('<input type="email" name="email" required>', "")
    other = other.replace("<h1>Your orders</h1>", "<h1>Your orders</h1><h2>New</h2>")
    ab = diff_html_bodies(page().encode(), "text/html", other.encode(), "text/html")
    ba = diff_html_bodies(other.encode(), "text/html", page().encode(), "text/html")
    assert ab is not None
    assert ba is not None
    assert len(ab) == 2
    assert {d.swapped() for d in ab} == set(ba)


def test_html_strings_name_every_fact_by_its_location_group() -> None:
    strings = dict(html_strings(page().encode(), "text/html"))
    assert strings[f"{FORM}.input[name=csrf].@value"] == CSRF
    assert strings["body.html.body.nav.bar.ul.li[*].a"] in ("Home", "Orders")
    assert list(html_strings(b"<p>x", "text/plain")) == []


def test_a_digest_the_legacy_serves_in_every_page_is_no_fresh_token() -> None:
    sri = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"
    template = '<html><script src="/app.js" integrity="{}"></script><p nonce="{}">x</p>'
    tokens = TokenEvidence()
    for _ in range(2):
        body = template.format(sri, secrets.token_urlsafe(18)).encode()
        tokens.observe("GET /", Message(200, HTML, body))
    repeated = tokens.repeated()["GET /"]
    assert repeated == frozenset({"body.html.head.script.@integrity"})
    other = template.format(sri.replace("oqVu", "Zm9v"), "n").replace("/app.js", "/app2.js")
    found = body_differences(template.format(sri, "n"), other)
    [changed, src] = sorted(found, key=lambda d: d.location)
    assert (changed.location, infer(changed, Evidence())) == (
        "body.html.head.script.@integrity",
        "opaque",
    )
    assert infer(changed, Evidence(repeated=repeated)) is None
    assert src.location == "body.html.head.script.@src"


def test_a_token_inside_an_inline_script_is_a_literal_judged_as_any_token() -> None:
    script = '<html><script>window.app = {{csrf: "{}", user: "{}", n: 3}};</script>'
    ours, theirs = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    [token] = body_differences(script.format(ours, "ann"), script.format(theirs, "ann"))
    assert (token.location, token.legacy, token.candidate) == (
        "body.html.head.script.#literal[0]",
        ours,
        theirs,
    )
    assert token.group == "body.html.head.script.#literal[*]"
    assert infer(token, Evidence()) == "opaque"
    # Another literal is a real difference at its place; other code is another script.
    [user] = body_differences(script.format(ours, "ann"), script.format(ours, "bob"))
    assert (user.location, infer(user, Evidence())) == ("body.html.head.script.#literal[1]", None)
    other = script.format(ours, "ann").replace("n: 3", "n: 3, debug: true")
    [whole] = body_differences(script.format(theirs, "ann"), other)
    assert whole.location == "body.html.head.script"
    assert "characters, sha256 " in whole.legacy
    strings = list(html_strings(script.format(ours, "ann").encode(), "text/html"))
    assert ("body.html.head.script.#literal[*]", ours) in strings


def test_characters_xml_cannot_write_still_differ() -> None:
    # The same-markup shortcut serialises: a control character must not read as U+FFFD there.
    ours, theirs = "<html><p title='x\x01'>a\x01b</p>", "<html><p title='x\x02'>a\x02b</p>"
    assert where(body_differences(ours, theirs)) == {
        ("body.html.body.p", "changed"),
        ("body.html.body.p.@title", "changed"),
    }
    assert body_differences(ours, ours) == []
    assert body_differences("<html><p>a\ufffdb</p>", "<html><p>a\ufffdb</p>") == []


def test_bytes_no_charset_decodes_are_no_page_and_differ_as_bytes() -> None:
    # A page is decoded strictly: bytes its charset does not decode are compared as bytes.
    ours, theirs = b"<html><p>caf\xe9</p>", b"<html><p>caf\xe8</p>"
    assert diff_html_bodies(ours, "text/html", theirs, "text/html") is None
    [binary] = diff_responses(Message(200, HTML, ours), Message(200, HTML, theirs))
    assert (binary.location, binary.summary) == ("body", "binary bodies differ")
    latin = (("Content-Type", "text/html; charset=latin-1"),)
    [text] = diff_responses(Message(200, latin, ours), Message(200, latin, theirs))
    assert (text.location, text.legacy, text.candidate) == ("body.html.body.p", "café", "cafè")
