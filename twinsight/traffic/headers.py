"""Which headers cross a proxy (RFC 9110 section 7.6.1) and which it adds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address

from multidict import CIMultiDict, CIMultiDictProxy

from twinsight.records import Headers

__all__ = [
    "FORWARDING",
    "HOP_BY_HOP",
    "AnyHeaders",
    "Networks",
    "end_to_end",
    "forwarded",
    "is_forwarding",
    "proxied",
    "relayed",
    "to_tuple",
    "trusts",
]

Networks = Sequence[IPv4Network | IPv6Network]
AnyHeaders = CIMultiDictProxy[str] | CIMultiDict[str] | Headers
"""Headers as a server received them (a multidict) or as the store keeps them (pairs)."""

# What a client may claim about earlier hops. Believed only from trusted peers:
# applications use them for client addresses, allowlists, redirects and links.
# Besides these names, every `X-Forwarded-*` (-Prefix, -Ssl, -Scheme, -Server...),
# matched with `_` read as `-`: WSGI servers give `X_Forwarded_For` and
# `X-Forwarded-For` the same variable, HTTP_X_FORWARDED_FOR.
FORWARDING = frozenset(
    {"forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "front-end-https"}
)
_FORWARDING_PREFIX = "x-forwarded-"

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    }
)


def end_to_end(headers: AnyHeaders, *, drop: Iterable[str] = ()) -> CIMultiDict[str]:
    """A copy without hop-by-hop headers, those the Connection header names, and `drop`."""
    if not isinstance(headers, CIMultiDict | CIMultiDictProxy):
        headers = CIMultiDict(headers)
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
    }
    skip = HOP_BY_HOP | named | {d.lower() for d in drop}
    kept: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() not in skip:
            kept.add(name, value)
    return kept


def forwarded(
    headers: CIMultiDict[str], *, client: str | None, scheme: str, host: str, trusted: bool
) -> CIMultiDict[str]:
    """`headers` with X-Forwarded-For, -Proto and -Host describing the hop this proxy saw.

    From a `trusted` peer (a proxy in front of this one) the chain it sent is
    extended: `client` is appended to X-Forwarded-For and to a Forwarded header
    if there is one, its -Proto and -Host stand. From anyone else every
    forwarding header it sent is dropped first (`is_forwarding`), so a client
    cannot pose as another address, scheme, host or path prefix.
    """
    if not trusted:
        for name in {name for name in headers if is_forwarding(name)}:
            headers.popall(name, None)
    chain = ", ".join(headers.getall("X-Forwarded-For", ()))
    if client:
        headers["X-Forwarded-For"] = f"{chain}, {client}" if chain else client
        if "Forwarded" in headers:  # both chains name the same hops
            elements = ", ".join(headers.getall("Forwarded"))
            headers["Forwarded"] = f"{elements}, for={_node(client)}"
    headers.setdefault("X-Forwarded-Proto", scheme)
    if host:
        headers.setdefault("X-Forwarded-Host", host)
    return headers


def proxied(
    headers: AnyHeaders, *, client: str | None, scheme: str, host: str, trusted: bool
) -> CIMultiDict[str]:
    """What a proxy sends on for a request it received: its end-to-end headers but Host (each
    target gets its own), with the hop the proxy saw added (`forwarded`)."""
    kept = end_to_end(headers, drop=("Host",))
    return forwarded(kept, client=client, scheme=scheme, host=host, trusted=trusted)


def relayed(
    headers: AnyHeaders, *, client: str | None, scheme: str, host: str, believed: bool
) -> CIMultiDict[str]:
    """What a mirror sink sends on: a `believed` peer's forwarding headers unchanged (they say
    what the legacy itself received), anyone else's replaced as `proxied` does."""
    if believed:
        return end_to_end(headers, drop=("Host",))
    return proxied(headers, client=client, scheme=scheme, host=host, trusted=False)


def is_forwarding(name: str) -> bool:
    """Whether header `name` claims something about earlier hops (any X-Forwarded-*, ...)."""
    key = name.lower().replace("_", "-")
    return key.startswith(_FORWARDING_PREFIX) or key in FORWARDING


def _node(address: str) -> str:
    """`address` as a Forwarded node (RFC 7239 section 6): an IPv6 one quoted, in brackets."""
    return f'"[{address}]"' if ":" in address else address


def trusts(peer: str | None, networks: Networks) -> bool:
    """Whether the address `peer` lies in one of `networks` (an IPv4-mapped IPv6 one counts)."""
    if not peer or not networks:
        return False
    try:
        address = ip_address(peer.partition("%")[0])  # without an IPv6 zone
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def to_tuple(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> Headers:
    """Headers as stored: (name, value) pairs in order."""
    return tuple(headers.items())
