"""Comparing two responses into atomic differences: status, headers, body.

Pure functions. JSON bodies are compared structurally (see `jsondiff`), XML
bodies too (see `xmlbody`); other text line by line with a short summary;
binary and truncated bodies by hash and size. Equal bodies cost one byte
comparison: most exchanges take that path.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

import orjson

from .bodies import diff_structured
from .bodies.xmlbody import claims_xml
from .jsondiff import Kind, diff, render_path

__all__ = [
    "NOT_JSON",
    "UNCOMPARED_HEADERS",
    "DiffOptions",
    "Difference",
    "Message",
    "diff_responses",
]

UNCOMPARED_HEADERS = frozenset(
    {
        # Hop-by-hop (RFC 9110 7.6.1): about one connection, not the answer, and rewritten
        # by every proxy on the way.
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        # Follows from the body, which is compared itself (and from its transfer coding).
        "content-length",
    }
)
"""Never compared: every other response header is, volatile ones judged as noise by evidence."""

SET_VALUED_HEADERS = frozenset(
    {
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-expose-headers",
        "accept-patch",
        "allow",
        "cache-control",
        "content-language",
        "vary",
    }
)
"""Lists whose members' order means nothing (often built from a set, so it changes from one
process to the next): compared as sets of members, without case. Wherever they appear:
also echoed inside bodies, as batch APIs do."""

_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class Difference:
    """One mismatch between the legacy's answer and a candidate's."""

    location: str  # status | error | headers.NAME | body | body.JSON.PATH
    kind: Kind
    legacy: Any = None
    candidate: Any = None
    summary: str = ""

    @property
    def group(self) -> str:
        """The location with array indexes folded, for grouping: `body.items[*].id`."""
        return _folded(self.location)


@functools.lru_cache(maxsize=4096)
def _folded(location: str) -> str:
    # Asked of every difference, more than once; locations repeat from exchange to exchange.
    return _INDEX.sub("[*]", location)


NOT_JSON: Any = object()
"""What `Message.document` is for a body that is not JSON."""


@dataclass(frozen=True)
class Message:
    """A response as analysis sees it (bodies already decoded by the store)."""

    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    truncated: bool = False
    sha256: str = ""
    size: int = 0
    error: str | None = None
    latency_ms: float | None = None
    sent_at: float | None = None  # when the request was sent (epoch seconds), if recorded

    def header(self, name: str) -> str | None:
        """First value of header `name`, case-insensitive."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @functools.cached_property
    def document(self) -> Any:
        """The body parsed as JSON, once however many readers ask; `NOT_JSON` if it is not."""
        if not self.body:
            return NOT_JSON
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return NOT_JSON

    @functools.cached_property
    def hop_by_hop(self) -> frozenset[str]:
        """The header names this answer's own `Connection` lists (`close, X-Trace`), once."""
        return frozenset(
            name.strip().lower()
            for value in self.header_values("connection")
            for name in value.split(",")
        )

    def header_values(self, name: str) -> list[str]:
        """Every value of header `name`, in order."""
        wanted = name.lower()
        return [v for k, v in self.headers if k.lower() == wanted]


@dataclass(frozen=True)
class DiffOptions:
    """What is compared and how."""

    headers: frozenset[str] | None = None
    """Lower-case names compared; None: every header but `UNCOMPARED_HEADERS` and those the
    answer's own `Connection` names."""
    strict_numbers: bool = False
    lists: frozenset[str] = frozenset()
    """Element paths (indexes left out) of non-JSON bodies that repeat in other answers:
    indexed even when they appear once (see `bodies.Comparer`)."""


def diff_responses(
    legacy: Message, candidate: Message, options: DiffOptions = DiffOptions()
) -> list[Difference]:
    """Every atomic difference from the legacy's answer to the candidate's."""
    if legacy.error or candidate.error:
        if legacy.error == candidate.error:
            return []
        return [Difference("error", "changed", legacy.error, candidate.error)]
    found = []
    if legacy.status != candidate.status:
        found.append(Difference("status", "changed", legacy.status, candidate.status))
    for name in _compared(legacy, candidate, options.headers):
        found.extend(_header(name, legacy, candidate))
    found.extend(_body(legacy, candidate, options))
    return found


def _compared(legacy: Message, candidate: Message, chosen: frozenset[str] | None) -> list[str]:
    if chosen is not None:
        return sorted(chosen)
    # Each side's own `Connection` list makes those of its headers hop-by-hop, not the
    # other side's: a candidate cannot hide a header difference by naming it there.
    names = _answer_headers(legacy) | _answer_headers(candidate)
    return sorted(names - UNCOMPARED_HEADERS)


def _answer_headers(message: Message) -> set[str]:
    return {k.lower() for k, _ in message.headers} - message.hop_by_hop


def _header(name: str, legacy: Message, candidate: Message) -> list[Difference]:
    if name == "set-cookie":
        return _cookies(legacy, candidate)
    a = None if name in legacy.hop_by_hop else _joined(legacy, name)
    b = None if name in candidate.hop_by_hop else _joined(candidate, name)
    if name == "content-type":
        a, b = _media(a), _media(b)
    location = f"headers.{name}"
    if a == b or same_set_list(name, a, b):
        return []
    if a is None:
        return [Difference(location, "extra", None, b)]
    if b is None:
        return [Difference(location, "missing", a, None)]
    if _members(a) != _members(b) and sorted(_members(a)) == sorted(_members(b)):
        return [Difference(location, "order", a, b)]  # `a, b` against `b, a`
    return [Difference(location, "changed", a, b)]


def same_set_list(name: str, a: object, b: object) -> bool:
    """Whether `a` and `b`, values of a set-valued header `name`, hold the same members."""
    if name.lower() not in SET_VALUED_HEADERS or not (isinstance(a, str) and isinstance(b, str)):
        return False
    return set(_members(a.casefold())) == set(_members(b.casefold()))


def _echoed_set_list(path: tuple[str | int, ...], a: object, b: object) -> bool:
    # A set-valued header echoed in a body, as batch APIs do: `responses[0].headers.Vary`.
    # Only under a `headers` object: a field merely named `allow` or `vary` is data.
    if len(path) < 2 or str(path[-2]).lower() != "headers":
        return False
    return same_set_list(str(path[-1]), a, b)


def _members(value: str) -> list[str]:
    return [m.strip() for m in value.split(",") if m.strip()]


def _joined(message: Message, name: str) -> str | None:
    # A repeated field is one list (RFC 9110 5.3): `Vary: a` + `Vary: b` is `Vary: a, b`.
    values = message.header_values(name)
    return ", ".join(values) if values else None


def _media(value: str | None) -> str | None:
    return None if value is None else ";".join(p.strip() for p in value.lower().split(";"))


def _cookies(legacy: Message, candidate: Message) -> list[Difference]:
    # Values are redacted or per-session: which cookies are set is what compares.
    a, b = _cookie_names(legacy), _cookie_names(candidate)
    found = [Difference(f"headers.set-cookie.{n}", "missing", n, None) for n in sorted(a - b)]
    found += [Difference(f"headers.set-cookie.{n}", "extra", None, n) for n in sorted(b - a)]
    return found


def _cookie_names(message: Message) -> set[str]:
    names = set()
    for value in message.header_values("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            names.add(value.partition("=")[0].strip())
            continue
        names.update(jar.keys())
    return names


def _body(legacy: Message, candidate: Message, options: DiffOptions) -> list[Difference]:
    if legacy.truncated or candidate.truncated:
        if legacy.sha256 == candidate.sha256:
            return []
        return [
            Difference(
                "body",
                "changed",
                _digest(legacy),
                _digest(candidate),
                "bodies over the stored size differ",
            )
        ]
    if legacy.body == candidate.body:
        return []
    a, b = legacy.document, candidate.document
    if a is not NOT_JSON and b is not NOT_JSON:
        return [
            Difference(render_path(d.path), d.kind, d.legacy, d.candidate)
            for d in diff(a, b, strict_numbers=options.strict_numbers)
            if not _echoed_set_list(d.path, d.legacy, d.candidate)
        ]
    if (a is NOT_JSON) != (b is NOT_JSON):
        kinds = (_form(legacy, a), _form(candidate, b))
        return [Difference("body", "type", kinds[0], kinds[1], "one body is JSON, the other not")]
    markup = _markup(legacy, candidate, options.lists)
    return [_text_or_binary(legacy, candidate)] if markup is None else markup


def _form(message: Message, document: Any) -> str:
    if document is not NOT_JSON:
        return "json"
    return "xml" if claims_xml(message.body, message.header("content-type")) else "text"


def _markup(legacy: Message, candidate: Message, lists: frozenset[str]) -> list[Difference] | None:
    # XML and the other structured kinds (see `bodies`), each at its own locations.
    found = diff_structured(
        legacy.body,
        legacy.header("content-type"),
        candidate.body,
        candidate.header("content-type"),
        lists=lists,
    )
    if found is None:
        return None
    return [Difference(d.location, d.kind, d.legacy, d.candidate, d.summary) for d in found]


def _text_or_binary(legacy: Message, candidate: Message) -> Difference:
    try:
        a, b = legacy.body.decode(), candidate.body.decode()
    except UnicodeDecodeError:
        return Difference(
            "body", "changed", _digest(legacy), _digest(candidate), "binary bodies differ"
        )
    lines_a, lines_b = a.splitlines(), b.splitlines()
    changed = [
        op
        for op in difflib.SequenceMatcher(None, lines_a, lines_b, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    tag, i1, _, j1, _ = changed[0] if changed else ("replace", 0, 0, 0, 0)
    summary = (
        f"{sum(max(op[2] - op[1], op[4] - op[3]) for op in changed)} of "
        f"{max(len(lines_a), len(lines_b))} lines differ, first at line {i1 + 1}"
    )
    first_a = lines_a[i1] if i1 < len(lines_a) and tag != "insert" else None
    first_b = lines_b[j1] if j1 < len(lines_b) and tag != "delete" else None
    return Difference("body", "changed", first_a, first_b, summary)


def _digest(message: Message) -> str:
    return f"sha256:{message.sha256[:16]} ({message.size} bytes)"
