"""Where a request goes and what it claims about earlier hops: pure functions, no servers."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from yarl import URL

from twinsight.proxy.intake import refusal
from twinsight.traffic import Target, forwarded, trusts, upstream_url

# Characters a request target may carry byte for byte (RFC 9112 plus what servers let through).
RAW = st.text(
    alphabet="abcXYZ019-._~!$&'()*+,;=:@/%",
    max_size=30,
)


def test_a_target_without_a_port_cannot_be_steered_elsewhere() -> None:
    legacy = Target("legacy", URL("http://legacy-host"), 1.0)
    # The request line `GET admin://x/internal-secret` once made the proxy call
    # legacy-hostadmin:80 (string concatenation of the origin and the raw target).
    with pytest.raises(ValueError, match="not an origin-form request target"):
        legacy.url_for("admin://x/internal-secret", "")
    for raw in ("http://example.internal/", "example.internal:443", ":8080/x", "@evil/x", ""):
        with pytest.raises(ValueError, match="not an origin-form"):
            legacy.url_for(raw, "")
    url = legacy.url_for("//x/internal-secret", "")
    assert (url.host, url.port, url.raw_path_qs) == ("legacy-host", 80, "//x/internal-secret")


@pytest.mark.parametrize(
    ("origin", "host", "port", "base"),
    [
        ("http://legacy-host", "legacy-host", 80, ""),
        ("https://legacy-host/", "legacy-host", 443, ""),
        ("http://127.0.0.1:8081/api/", "127.0.0.1", 8081, "/api"),
        ("http://[::1]:8081/v1", "::1", 8081, "/v1"),
    ],
)
@settings(max_examples=150, deadline=None)
@given(path=RAW, query=RAW)
def test_only_the_configured_origin_decides_where_a_request_goes(
    origin: str, host: str, port: int, base: str, path: str, query: str
) -> None:
    url = upstream_url(URL(origin), "/" + path, query)
    assert (url.scheme, url.host, url.port) == (URL(origin).scheme, host, port)
    # exactly the bytes the client sent, after the base path
    assert url.raw_path_qs == base + "/" + path + (f"?{query}" if query else "")


def test_options_asterisk_is_sent_as_such() -> None:
    assert upstream_url(URL("http://h:1/base/"), "*", "").raw_path_qs == "*"


@pytest.mark.parametrize(
    ("method", "target", "refused"),
    [
        ("GET", "/a?b=c", False),
        ("GET", "//x/y", False),
        ("OPTIONS", "*", False),
        ("GET", "*", True),
        ("GET", "http://example.internal/", True),
        ("GET", "admin://x/internal-secret", True),
        ("GET", "example.internal:443", True),
        ("CONNECT", "example.internal:443", True),
        ("CONNECT", "/x", True),
    ],
)
def test_only_origin_form_targets_are_served(method: str, target: str, refused: bool) -> None:
    assert (refusal(method, target) is not None) == refused


def spoofing() -> CIMultiDict[str]:
    return CIMultiDict(
        [
            ("X-Forwarded-For", "10.9.9.9"),
            ("X-Forwarded-For", "10.8.8.8"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "admin.internal"),
            ("Forwarded", "for=10.9.9.9"),
            ("X-Real-IP", "10.9.9.9"),
            ("Accept", "*/*"),
        ]
    )


# What an untrusted peer's request claims upstream: only its own address, scheme and host.
UNTRUSTED_HOPS = [
    ("X-Forwarded-For", "203.0.113.5"),
    ("X-Forwarded-Proto", "http"),
    ("X-Forwarded-Host", "api"),
]


def sent_by(client: str, claims: CIMultiDict[str], *, trusted: bool) -> CIMultiDict[str]:
    """The headers sent upstream for `client`'s request to `api` over http, with `claims`."""
    return forwarded(claims, client=client, scheme="http", host="api", trusted=trusted)


def test_an_untrusted_peer_cannot_claim_earlier_hops() -> None:
    sent = sent_by("203.0.113.5", spoofing(), trusted=False)
    assert list(sent.items()) == [("Accept", "*/*"), *UNTRUSTED_HOPS]


def test_a_trusted_peer_has_its_chain_extended() -> None:
    sent = sent_by("10.0.0.2", spoofing(), trusted=True)
    assert sent.getall("X-Forwarded-For") == ["10.9.9.9, 10.8.8.8, 10.0.0.2"]
    assert sent["X-Forwarded-Proto"] == "https"
    assert sent["X-Forwarded-Host"] == "admin.internal"
    assert sent["Forwarded"] == "for=10.9.9.9, for=10.0.0.2"


OTHER_CLAIMS = [
    ("X-Forwarded-Prefix", "/admin"),  # Werkzeug ProxyFix, Spring
    ("X_Forwarded_For", "9.9.9.9"),  # WSGI: HTTP_X_FORWARDED_FOR, as the dashed one
    ("x_forwarded_proto", "https"),
    ("X-Forwarded-Ssl", "on"),
    ("X-Forwarded-Scheme", "https"),
    ("X-Forwarded-Server", "admin.internal"),
    ("Front-End-Https", "on"),
    ("X-Client-IP", "9.9.9.9"),
    ("True-Client-IP", "9.9.9.9"),
    ("X_Real_IP", "9.9.9.9"),
]


def test_an_untrusted_peer_cannot_claim_anything_under_another_forwarding_name() -> None:
    claims = CIMultiDict(
        [*OTHER_CLAIMS, ("x-forwarded-prefix", "/x"), ("Accept", "*/*"), ("X-Forwarded", "kept")]
    )
    sent = sent_by("203.0.113.5", claims, trusted=False)
    assert list(sent.items()) == [
        ("Accept", "*/*"),
        ("X-Forwarded", "kept"),  # not a forwarding header any framework reads
        *UNTRUSTED_HOPS,
    ]


@settings(max_examples=200, deadline=None)
@given(
    tail=st.text(alphabet="abcXYZ-_", min_size=1, max_size=12),
    prefix=st.sampled_from(["X-Forwarded-", "x_forwarded_", "X-FORWARDED_", "x_Forwarded-"]),
)
def test_no_spelling_of_x_forwarded_passes_from_an_untrusted_peer(prefix: str, tail: str) -> None:
    claims = CIMultiDict([(prefix + tail, "claimed")])
    sent = forwarded(claims, client="203.0.113.5", scheme="http", host="api", trusted=False)
    assert "claimed" not in sent.values()


def test_a_trusted_peer_keeps_its_other_forwarding_headers() -> None:
    sent = forwarded(
        CIMultiDict(OTHER_CLAIMS), client="10.0.0.2", scheme="http", host="h", trusted=True
    )
    for name, value in OTHER_CLAIMS:
        assert value in sent.getall(name)


@pytest.mark.parametrize(
    ("client", "element"),
    [("10.0.0.2", "for=10.0.0.2"), ("2001:db8::7", 'for="[2001:db8::7]"')],
)
def test_a_trusted_peers_forwarded_chain_is_extended_like_x_forwarded_for(
    client: str, element: str
) -> None:
    claims = CIMultiDict(
        [
            ("Forwarded", "for=192.0.2.1;proto=https"),
            ("Forwarded", "for=10.9.9.9"),
            ("X-Forwarded-For", "192.0.2.1, 10.9.9.9"),
        ]
    )
    sent = forwarded(claims, client=client, scheme="http", host="api", trusted=True)
    assert sent.getall("Forwarded") == [f"for=192.0.2.1;proto=https, for=10.9.9.9, {element}"]
    assert sent.getall("X-Forwarded-For") == [f"192.0.2.1, 10.9.9.9, {client}"]


def test_a_trusted_peer_without_forwarded_gets_none_added() -> None:
    sent = forwarded(CIMultiDict(), client="10.0.0.2", scheme="http", host="api", trusted=True)
    assert "Forwarded" not in sent


def test_trusted_peers_by_address_or_network() -> None:
    networks = [ip_network("10.0.0.0/8"), ip_network("::1/128"), ip_network("192.0.2.7/32")]
    assert trusts("10.1.2.3", networks)
    assert trusts("::ffff:10.1.2.3", networks)  # an IPv4 client on a dual-stack socket
    assert trusts("::1", networks)
    assert trusts("192.0.2.7", networks)
    assert not trusts("192.0.2.8", networks)
    assert not trusts("11.0.0.1", networks)
    assert not trusts(None, networks)
    assert not trusts("not-an-address", networks)
    assert not trusts("10.1.2.3", [])
