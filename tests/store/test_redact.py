import gzip
import time
from urllib.parse import quote, quote_plus, urlencode

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.records import Body, Exchange, Response
from twinsight.store import Redactor, new_id
from twinsight.store.redaction import (
    DEFAULT_BODY_FIELDS,
    DEFAULT_HEADERS,
    DEFAULT_QUERY_PARAMS,
    WITHHELD,
    canonical,
    luhn,
)
from twinsight.store.redaction.bodies import BodyRedactor
from twinsight.store.rows import Batch

CARD = "4111111111111111"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def redactor(**kwargs: object) -> Redactor:
    return Redactor(key=b"k" * 32, **kwargs)  # type: ignore[arg-type]


def hidden(text: bytes | str, *secrets: str) -> bool:
    """None of `secrets` is in `text`, as written or URL-encoded."""
    raw = text.encode() if isinstance(text, str) else text
    forms = {f(s) for s in secrets for f in (str, quote, quote_plus)}
    return not any(form.encode() in raw for form in forms)


# ---------------------------------------------------------------- names


def test_names_compare_without_case_or_punctuation() -> None:
    assert canonical("API-Key") == canonical("api_key") == canonical("apiKey") == "apikey"


def test_luhn() -> None:
    assert luhn(CARD)
    assert luhn("378282246310005")
    assert not luhn("4111111111111112")


# ---------------------------------------------------------------- headers


def test_secret_headers_keep_their_shape_but_not_their_value() -> None:
    out = dict(
        redactor().redact_headers(
            (
                ("Authorization", "Bearer abc.def"),
                ("Cookie", "sid=123; theme=dark"),
                ("Set-Cookie", "sid=123; Path=/; HttpOnly"),
                ("x-api-key", "k-1"),
                ("Accept", "text/plain"),
            )
        )
    )
    assert out["Authorization"].startswith("Bearer <redacted:")
    assert out["Cookie"].startswith("sid=<redacted:")
    assert "; theme=<redacted:" in out["Cookie"]
    assert out["Set-Cookie"].startswith("sid=<redacted:")
    assert out["Set-Cookie"].endswith("; Path=/; HttpOnly")
    assert out["x-api-key"].startswith("<redacted:")
    assert out["Accept"] == "text/plain"
    assert not any(s in str(out) for s in ("abc.def", "123", "k-1"))


@pytest.mark.parametrize(
    "name", [*DEFAULT_HEADERS, "X-Session-Token", "X-Webhook-Secret", "X-Forwarded-Authorization"]
)
def test_every_default_header_is_redacted(name: str) -> None:
    ((_, value),) = redactor().redact_headers(((name.upper(), "zz-secret-value"),))
    assert "zz-secret-value" not in value


def test_ordinary_headers_stay() -> None:
    headers = (("Content-Type", JSON), ("X-Request-Id", "42"), ("Sec-WebSocket-Key", "abc"))
    assert redactor().redact_headers(headers) == headers


def test_urls_in_headers_lose_their_secret_query_and_fragment() -> None:
    ((_, location), (_, referer)) = redactor().redact_headers(
        (
            ("Location", "https://app.test/cb#access_token=zz-frag&token_type=bearer"),
            ("Referer", "https://app.test/page?token=zz-query&page=2"),
        )
    )
    assert hidden(location + referer, "zz-frag", "zz-query")
    assert location.endswith("&token_type=bearer")
    assert referer.endswith("&page=2")


def test_a_card_number_in_any_header_is_hidden() -> None:
    ((_, value),) = redactor().redact_headers((("X-Note", "card 4111 1111 1111 1111 ok"),))
    assert value.startswith("card <redacted:")
    assert value.endswith(" ok")


def test_repeated_headers_stay_repeated() -> None:
    headers = (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
    out = redactor().redact_headers(headers)
    assert [name for name, _ in out] == ["Set-Cookie", "Set-Cookie"]
    assert [v.split("=")[0] for _, v in out] == ["a", "b"]


def test_without_defaults_only_credential_headers_and_configured_ones_go() -> None:
    r = redactor(defaults=False, headers=["X-Mine"])
    out = dict(r.redact_headers((("Cookie", "a=1"), ("X-Api-Key", "k"), ("X-Mine", "m"))))
    assert out["X-Api-Key"] == "k"
    assert out["Cookie"].startswith("a=<redacted:")
    assert out["X-Mine"].startswith("<redacted:")


# ---------------------------------------------------------------- markers


@given(st.text(min_size=1), st.text(min_size=1))
def test_markers_are_equal_exactly_when_secrets_are(a: str, b: str) -> None:
    r = redactor()
    assert (r.marker(a) == r.marker(b)) == (a == b)


def test_another_key_gives_other_markers() -> None:
    assert Redactor(key=b"1" * 32).marker("x") != Redactor(key=b"2" * 32).marker("x")


def test_equal_secrets_in_legacy_and_candidate_bodies_give_equal_markers() -> None:
    r = redactor()
    legacy = r.redact_body(b'{"token": "t-1", "id": 1}', JSON)
    same = r.redact_body(b'{"id": "a", "token": "t-1"}', JSON)
    other = r.redact_body(b'{"token": "t-2"}', JSON)
    token = orjson.loads(legacy)["token"]
    assert token == orjson.loads(same)["token"] != orjson.loads(other)["token"]


# ---------------------------------------------------------------- query strings


@pytest.mark.parametrize("name", [*DEFAULT_QUERY_PARAMS, "Access-Token", "X-Amz-Signature"])
def test_every_default_query_parameter_is_redacted(name: str) -> None:
    out = redactor().redact_query(f"a=1&{name.upper()}=zz-q%40secret&b=2")
    assert hidden(out, "zz-q@secret", "zz-q%40secret")
    assert out.startswith("a=1&")
    assert out.endswith("&b=2")


def test_query_keeps_every_other_byte() -> None:
    query = "q=hello%20world&pageToken=p1&flag&x=a+b;sig=zz"
    out = redactor().redact_query(query)
    assert out.startswith("q=hello%20world&pageToken=p1&flag&x=a+b;sig=%3Credacted%3A")
    assert redactor().redact_query("q=1&page=2") == "q=1&page=2"


def test_configured_query_parameters_extend_the_defaults() -> None:
    out = redactor(query_params=["session_ref"]).redact_query("session_ref=zz1&token=zz2")
    assert hidden(out, "zz1", "zz2")


def test_a_card_number_in_a_query_value_is_hidden() -> None:
    out = redactor().redact_query(f"note=card+{CARD}&{CARD}")
    assert hidden(out, CARD)
    assert out.startswith("note=card+%3Credacted")


# ---------------------------------------------------------------- JSON bodies


def test_json_fields_by_name_at_any_depth_whatever_the_content_type() -> None:
    body = orjson.dumps(
        {
            "user": {"password": "hunter2", "name": "al", "apiKey": 1234},
            "items": [{"access_token": "t1"}, {"x": 1, "meta": {"Client-Secret": {"v": "cs"}}}],
            "api_key": "k9",
        }
    )
    for content_type in (JSON, "text/plain", None, "application/octet-stream"):
        out = redactor().redact_body(body, content_type)
        document = orjson.loads(out)
        assert document["user"]["name"] == "al"
        assert document["user"]["apiKey"].startswith("<redacted:")
        assert hidden(out, "hunter2", "t1", "cs", "k9", "1234")


@pytest.mark.parametrize("name", DEFAULT_BODY_FIELDS)
def test_every_default_body_field_is_redacted(name: str) -> None:
    out = redactor().redact_body(orjson.dumps({"a": [{name: "zz-field-secret"}]}), JSON)
    assert hidden(out, "zz-field-secret")


def test_json_fields_by_configured_path_and_name() -> None:
    body = orjson.dumps(
        {"user": {"pass_code": "p1", "note": "n"}, "items": [{"ref": "r1"}], "note": "top"}
    )
    out = redactor(defaults=False, body_fields=["user.pass_code", "items.ref"]).redact_body(
        body, JSON
    )
    assert hidden(out, "p1", "r1")
    assert b'"note":"n"' in out
    out = redactor(defaults=False, body_fields=["note"]).redact_body(body, JSON)
    assert hidden(out, '"n"', "top")  # a plain name matches at any depth


def test_json_without_secrets_is_stored_byte_for_byte() -> None:
    body = b'{ "a" : 1.50, "b": ["x", null], "pages": {"next_page_token": "p"} }'
    assert redactor().redact_body(body, JSON) is body


def test_empty_and_boolean_values_show_whether_a_secret_was_sent() -> None:
    out = orjson.loads(
        redactor().redact_body(b'{"password": "", "token": null, "secret": true, "pin": 0}', JSON)
    )
    assert out["password"] == ""
    assert out["token"] is None
    assert out["secret"] is True
    assert out["pin"].startswith("<redacted:")


def test_card_numbers_in_json_strings_are_hidden_numbers_are_not() -> None:
    body = orjson.dumps({"note": f"paid with {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}"})
    out = orjson.loads(redactor().redact_body(body, JSON))
    assert out["note"].startswith("paid with <redacted:")
    ids = b'{"id": 4111111111111111, "ref": "4111111111111112"}'  # a number; not a card
    assert redactor().redact_body(ids, JSON) is ids


def test_integers_beyond_64_bits_survive_a_rewrite() -> None:
    body = b'{"big": 123456789012345678901234567890, "token": "t"}'
    out = redactor().redact_body(body, JSON)
    assert b"123456789012345678901234567890" in out
    assert hidden(out, '"t"')


def test_escaped_names_are_found() -> None:
    out = redactor().redact_body(b'{"pass\\u0077ord": "hunter2"}', JSON)
    assert hidden(out, "hunter2")


# ---------------------------------------------------------------- cut and malformed text


def test_a_cut_json_body_keeps_its_visible_part_with_secrets_hidden() -> None:
    r = redactor()
    out = r.redact_body(b'{"name": "al", "password": "hunt', JSON, truncated=True)
    assert out.startswith(b'{"name": "al", "password": "<redacted:')
    assert hidden(out, "hunt")
    out = r.redact_body(b'{"n": 1, "card": "4111 1111 11', JSON, truncated=True)
    assert hidden(out, "4111 1111 11")


def test_a_cut_body_with_an_object_under_a_secret_name_is_withheld() -> None:
    body = b'{"a": 1, "client_secret": {"v": "s"}, "b": [1, 2'
    assert redactor().redact_body(body, JSON, truncated=True) == WITHHELD


def test_one_json_document_a_line() -> None:
    body = b'{"a": 1}\n{"token": "zz1", "pin": 1234, "x": null}\n'
    out = redactor().redact_body(body, "application/x-ndjson")
    assert hidden(out, "zz1", "1234")
    assert out.startswith(b'{"a": 1}\n{"token": "<redacted:')
    assert b'"pin": "<redacted:' in out


def test_card_numbers_in_plain_text() -> None:
    text = f"pay {CARD} or 5555-5555-5555-4444; order 4111111111111112; ts 1700000000000000000"
    out = redactor().redact_body(text.encode(), "text/plain")
    assert hidden(out, CARD, "5555-5555-5555-4444")
    assert b"4111111111111112" in out
    assert b"1700000000000000000" in out


def test_xml_elements_and_html_fields() -> None:
    xml = (
        b"<?xml version='1.0'?><s:Body><Login><ns:Password>pw1</ns:Password>"
        b"<pin><![CDATA[98]]></pin></Login></s:Body>"
    )
    out = redactor().redact_body(xml, "text/xml")
    assert hidden(out, "pw1", "98")
    assert b"<ns:Password><redacted:" in out
    html = b"""<meta name="csrf-token" content="zz1"><input type=password name=p value='zz2'>
    <input type="hidden" name="authenticity_token" value="zz3"><input name="q" value="keep">"""
    out = redactor().redact_body(html, "text/html; charset=utf-8")
    assert hidden(out, "zz1", "zz2", "zz3")
    assert b'value="keep"' in out


def test_binary_bodies_are_left_alone() -> None:
    body = b"\x89PNG\r\n\x1a\n\0\0password=hunter2 " + CARD.encode()
    assert redactor().redact_body(body, "image/png") is body
    assert redactor().redact_body(body, None) is body


# ---------------------------------------------------------------- forms and multipart


def test_form_bodies_are_re_encoded_with_secrets_hidden() -> None:
    body = b"user=al&password=p%40ss+w0rd&user%5Bpin%5D=12&card=" + CARD.encode() + b"&x=a+b%21"
    for content_type in (FORM, None, "text/plain"):
        out = redactor().redact_body(body, content_type)
        assert out.startswith(b"user=al&password=%3Credacted%3A")
        assert out.endswith(b"&x=a+b%21")
        assert hidden(out, "p@ss w0rd", "p%40ss+w0rd", "=12", CARD)


def test_form_fields_by_configured_path() -> None:
    body = b"user[code]=zz1&code=keep"
    out = redactor(defaults=False, body_fields=["user.code"]).redact_body(body, FORM)
    assert hidden(out, "zz1")
    assert out.endswith(b"&code=keep")


def test_a_cut_form_body() -> None:
    out = redactor().redact_body(b"a=1&password=hun", FORM, truncated=True)
    assert hidden(out, "hun")


def multipart(*parts: tuple[str, bytes, str]) -> bytes:
    """A form-data body; each part is (disposition parameters, content, extra header lines)."""
    out = b"preamble\r\n"
    for params, content, extra in parts:
        out += f"--BoUnD\r\nContent-Disposition: form-data; {params}\r\n{extra}\r\n".encode()
        out += content + b"\r\n"
    return out + b"--BoUnD--\r\nepilogue"


MULTIPART = "multipart/form-data; boundary=BoUnD"


def test_multipart_fields_are_replaced_and_every_other_byte_kept() -> None:
    picture = b"\x89PNG\0\0password=hunter0"
    body = multipart(
        ('name="user"', b"al", ""),
        ('name="password"', b"hunter2", ""),
        ('name="avatar"; filename="a.png"', picture, "Content-Type: image/png\r\n"),
        ('name="api_key"; filename="key.txt"', b"zz-file-key", "Content-Type: text/plain\r\n"),
        ('name="meta"', b'{"token": "zz-t", "n": 1}', "Content-Type: application/json\r\n"),
        ('name="note"', f"card {CARD}".encode(), ""),
    )
    out = redactor().redact_body(body, MULTIPART)
    assert hidden(out, "hunter2", "zz-file-key", "zz-t", CARD)
    assert picture in out
    assert b'name="user"\r\n\r\nal\r\n' in out
    assert out.startswith(b"preamble\r\n--BoUnD\r\n")
    assert out.endswith(b"--BoUnD--\r\nepilogue")
    plain = multipart(('name="user"', b"al", ""))
    assert redactor().redact_body(plain, MULTIPART) is plain


def test_multipart_without_a_boundary_is_withheld() -> None:
    body = multipart(('name="password"', b"hunter2", ""))
    assert redactor().redact_body(body, "multipart/form-data") == WITHHELD
    assert redactor().redact_body(body, "multipart/form-data; boundary=other") == WITHHELD


def test_a_cut_multipart_body_hides_the_visible_part_of_its_last_field() -> None:
    body = multipart(('name="a"', b"1", ""), ('name="password"', b"hunter2", ""))
    cut = body[: body.index(b"hunter2") + 4]
    out = redactor().redact_body(cut, MULTIPART, truncated=True)
    assert hidden(out, "hunt")
    assert out.startswith(b"preamble")


# ---------------------------------------------------------------- switched off


def test_without_defaults_bodies_are_kept_unless_fields_are_configured() -> None:
    body = b'{"password": "p", "note": "' + CARD.encode() + b'"}'
    assert redactor(defaults=False).redact_body(body, JSON) is body
    assert redactor(defaults=False).redact_query("token=t") == "token=t"


# ---------------------------------------------------------------- properties

_PLAIN = st.text(alphabet="abcdefghij -_", max_size=12)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _PLAIN,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_PLAIN, inner, max_size=3),
    max_leaves=12,
)
_SECRETS = st.text(alphabet="KLMNOPQRSTUVWXYZ", min_size=8, max_size=16)
_SECRET_NAMES = st.sampled_from(["password", "apiKey", "X-Auth-Token", "client_secret", "cvv"])


@settings(max_examples=150, deadline=None)
@given(_JSON_VALUES, _SECRET_NAMES, _SECRETS, st.sampled_from([JSON, "text/plain", None]))
def test_a_secret_field_never_survives_in_any_cut(
    filler: object, name: str, secret: str, content_type: str | None
) -> None:
    body = orjson.dumps({"before": filler, "deep": [{name: secret}], "after": filler})
    r = redactor()
    assert hidden(r.redact_body(body, content_type), secret)
    for cut in range(1, len(body)):
        out = r.redact_body(body[:cut], content_type, truncated=True)
        # Whatever is visible of the secret (four letters or more) is hidden.
        assert all(secret[:n].encode() not in out for n in range(4, len(secret) + 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_PLAIN, _PLAIN), max_size=4), _SECRET_NAMES, _SECRETS, st.integers(0, 4))
def test_form_secrets_are_hidden_and_other_pairs_kept(
    pairs: list[tuple[str, str]], name: str, secret: str, at: int
) -> None:
    pairs.insert(min(at, len(pairs)), (name, secret))
    body = urlencode(pairs).encode()
    out = redactor().redact_body(body, FORM)
    assert hidden(out, secret)
    kept = [p for p in body.split(b"&") if not p.startswith(quote_plus(name).encode() + b"=")]
    assert all(p in out.split(b"&") for p in kept)


@settings(max_examples=100, deadline=None)
@given(_JSON_VALUES, _SECRET_NAMES, _SECRETS)
def test_redaction_is_idempotent(filler: object, name: str, secret: str) -> None:
    r = redactor()
    for body, content_type in (
        (orjson.dumps({"a": filler, name: secret, "c": CARD}), JSON),
        (urlencode({"a": str(filler), name: secret}).encode(), FORM),
        (f'x {{"{name}": "{secret}"}} {CARD}'.encode(), "text/plain"),
    ):
        once = r.redact_body(body, content_type)
        assert r.redact_body(once, content_type) == once
    headers = (("Cookie", f"a={secret}"), ("Authorization", f"Basic {secret}"))
    assert r.redact_headers(r.redact_headers(headers)) == r.redact_headers(headers)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([JSON, FORM, MULTIPART, "text/xml", None]))
def test_any_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    redactor().redact_body(body, content_type, truncated=True)
    redactor().redact_body(body, content_type)


# ---------------------------------------------------------------- rows: compressed bodies


def stored_body(body: Body, headers: tuple[tuple[str, str], ...], max_body: int) -> bytes:
    exchange = Exchange(
        id=new_id(),
        source="proxy",
        method="POST",
        path="/",
        headers=headers,
        body=body,
        responses=(Response("legacy", 200, (), Body.of(b"", max_body)),),
    )
    batch = Batch(redactor(), "w", max_body)
    batch.add(exchange)
    return bytes(batch.tables()["exchanges"].column("request_body")[0].as_py())


def test_a_compressed_body_that_cannot_be_decoded_whole_is_withheld() -> None:
    data = gzip.compress(orjson.dumps({"password": "hunter2", "pad": "x" * 2000}))
    gzipped = (("Content-Type", JSON), ("Content-Encoding", "gzip"))
    assert stored_body(Body.of(data, 40), gzipped, 40) == WITHHELD  # cut while compressed
    unknown = (("Content-Type", JSON), ("Content-Encoding", "compress"))
    assert stored_body(Body.of(data, 1 << 20), unknown, 1 << 20) == WITHHELD
    whole = stored_body(Body.of(data, 1 << 20), gzipped, 1 << 20)
    assert orjson.loads(whole)["pad"] == "x" * 2000
    assert hidden(whole, "hunter2")


def test_a_body_cut_after_decoding_is_scanned_as_cut() -> None:
    data = gzip.compress(b'{"pad": "xxxxxxxx", "password": "hunter2-and-more"}')
    out = stored_body(Body.of(data, 1 << 20), (("Content-Encoding", "gzip"),), 40)
    assert hidden(out, "hunter")
    assert out.startswith(b'{"pad": "xxxxxxxx", "password": "<redac')


def test_a_bug_in_redaction_withholds_the_body(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("bug")

    monkeypatch.setattr(BodyRedactor, "redact", broken)
    assert redactor().redact_body(b'{"password": "p"}', JSON) == WITHHELD
    assert "redaction failed" in caplog.text


def test_correlated_identifiers_with_secret_names_are_hidden() -> None:
    r = redactor()
    assert r.redact_identifier("body.items[*].session_id", "s-1").startswith("<redacted:")
    assert r.redact_identifier("query.token", "t-1").startswith("<redacted:")
    assert r.redact_identifier("body.task_id", "42") == "42"
    assert r.redact_identifier("path", "42") == "42"


@pytest.mark.parametrize(
    "member",
    [
        b'"password": "hunter2-xyz"',
        b"'api_key' => 'hunter2-xyz'",
        b'"it\'s": 1, "token": "hunter2-xyz"',
    ],
)
def test_a_secret_member_deep_in_a_long_cut_body_is_found(member: bytes) -> None:
    # The quick pass over member names must never let the full scan skip a secret.
    items = b",".join(b'{"id": %d, "title": "task"}' % i for i in range(2000))
    body = b"[" + items + b", {" + member + b"}, " + items
    stored = Redactor(key=b"k").redact_body(body[:-10], "application/json", truncated=True)
    assert b"hunter2-xyz" not in stored
    assert stored.count(b'"title": "task"') == 3999  # the last one is cut


@pytest.mark.parametrize("unit", [b'"a\\', b"'a\\", b'"\\"', b"\"x'\\"])
def test_text_with_escaped_quotes_is_scanned_in_linear_time(unit: bytes) -> None:
    # Each escaped quote once opened a string that ran to the end of the line (128 KiB: 19 s).
    body = unit * ((256 << 10) // len(unit))
    start = time.perf_counter()
    redactor().redact_body(body, "text/plain")
    assert time.perf_counter() - start < 0.5


def test_a_cut_envelope_of_escaped_json_is_scanned_in_linear_time() -> None:
    inner = orjson.dumps({"orders": [{"id": i, "sku": f"A-{i}"} for i in range(20000)]})
    body = orjson.dumps({"Type": "Notification", "Message": inner.decode()})[: 256 << 10]
    start = time.perf_counter()
    assert redactor().redact_body(body, JSON, truncated=True) == body
    assert time.perf_counter() - start < 0.5
    secret = b'{"password": "hunter2-xyz",' + body[1:]
    assert hidden(redactor().redact_body(secret, JSON, truncated=True), "hunter2-xyz")


CREDENTIAL_FIELDS = [
    *("SecretAccessKey", "aws_secret_access_key", "secret_key", "secretKey", "client_key"),
    *("signing_key", "encryption_key", "master_key", "privateKeyPem", "credentials"),
    *("passcode", "pin_code", "otp_code", "verification_code", "security_answer"),
    *("authorization_code", "csrf", "xsrf", "_csrf", "card_no", "jwt"),
]


@pytest.mark.parametrize("name", CREDENTIAL_FIELDS)
def test_common_credential_fields_are_redacted(name: str) -> None:
    r = redactor()
    out = r.redact_body(orjson.dumps({"a": {name: "zz-field-secret"}}), JSON)
    assert hidden(out, "zz-field-secret")
    out = r.redact_body(
        b"<?xml version='1.0'?><r><%s>zz-x</%s></r>" % ((name.encode(),) * 2), "text/xml"
    )
    assert hidden(out, "zz-x")


def test_aws_sts_credentials_are_hidden_in_json_and_xml() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    body = {"Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": secret}}
    assert hidden(redactor().redact_body(orjson.dumps(body), JSON), secret)
    xml = (
        "<?xml version='1.0'?><R><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
        f"<SecretAccessKey>{secret}</SecretAccessKey></Credentials></R>"
    )
    out = redactor().redact_body(xml.encode(), "text/xml")
    assert hidden(out, secret)
    assert b"<AccessKeyId>ASIAX<" in out


@pytest.mark.parametrize(
    "name", ["X-Auth-Key", "X-Goog-IAP-JWT-Assertion", "X-JWT-Assertion", "Authentication"]
)
def test_common_credential_headers_are_redacted(name: str) -> None:
    ((_, value),) = redactor().redact_headers(((name, "zz-secret-value"),))
    assert "zz-secret-value" not in value


def test_ordinary_names_ending_like_a_key_are_kept() -> None:
    body = {
        "keyword": "k1",
        "monkey": "m1",
        "turkey": "t1",
        "key_id": "i1",
        "withCredentials": True,
    }
    raw = orjson.dumps(body)
    assert redactor().redact_body(raw, JSON) == raw
    headers = (("Access-Control-Allow-Credentials", "true"), ("X-Keyword", "k1"))
    assert redactor().redact_headers(headers) == headers


def test_every_content_encoding_line_is_undone() -> None:
    data = gzip.compress(gzip.compress(b'{"password": "hunter2-xyz", "n": 1}'))
    headers = (("Content-Type", JSON), ("Content-Encoding", "gzip"), ("Content-Encoding", "gzip"))
    out = stored_body(Body.of(data, 1 << 20), headers, 1 << 20)
    assert orjson.loads(out)["n"] == 1
    assert hidden(out, "hunter2-xyz")


def test_a_compressed_stream_cut_in_transit_is_scanned_as_cut() -> None:
    card = "4539 1488 0343 6467"
    assert luhn(card.replace(" ", ""))
    data = gzip.compress(f'{{"n":1,"note":"card {card} end"}}'.encode())
    headers = (("Content-Type", "text/plain"), ("Content-Encoding", "gzip"))
    for cut in range(20, len(data)):
        out = stored_body(Body.of(data[:cut], 1 << 20), headers, 1 << 20)
        assert hidden(out, "4539 1488 0343"), cut


def test_odd_names_are_handled_without_withholding(caplog: pytest.LogCaptureFixture) -> None:
    r = redactor()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--b\r\nContent-Disposition: form-data; name=""\r\n\r\nworld\r\n--b--\r\n'
    )
    assert r.redact_body(body, "multipart/form-data; boundary=b") == body
    page = '<form><input type="text" name="prénom" value="Zoé"></form>'.encode("latin-1")
    assert r.redact_body(page, "text/html; charset=iso-8859-1") == page
    query = r.redact_query("a=\ud800&token=hunter2-xyz")
    assert query.startswith("a=\ud800&token=%3Credacted")
    assert hidden(query.encode("utf-8", "surrogatepass"), "hunter2-xyz")
    assert not caplog.records
