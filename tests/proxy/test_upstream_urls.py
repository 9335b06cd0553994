"""Where a request goes and what it claims about earlier hops: pure functions, no servers."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from yarl import URL

from twinsight.proxy.intake import refusal
from twinsight.upstream import Target, forwarded, trusts, upstream_url

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


def test_an_untrusted_peer_cannot_claim_earlier_hops() -> None:
    sent = forwarded(spoofing(), client="203.0.113.5", scheme="http", host="api", trusted=False)
    assert list(sent.items()) == [
        ("Accept", "*/*"),
        ("X-Forwarded-For", "203.0.113.5"),
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Host", "api"),
    ]


def test_a_trusted_peer_has_its_chain_extended() -> None:
    sent = forwarded(spoofing(), client="10.0.0.2", scheme="http", host="api", trusted=True)
    assert sent.getall("X-Forwarded-For") == ["10.9.9.9, 10.8.8.8, 10.0.0.2"]
    assert sent["X-Forwarded-Proto"] == "https"
    assert sent["X-Forwarded-Host"] == "admin.internal"
    assert sent["Forwarded"] == "for=10.9.9.9"


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
