"""Smaller versions of a request, most aggressive first: the candidates `--minimize` tries.

Pure. In the manner of delta debugging: the body goes whole, then halves of the
headers, query parameters and body members, then single ones, then values get
simpler (strings shorter, numbers smaller, `true` false). Each `Family` is a
range of candidates the caller tries at k = 0 and then bisects on, so a string
shrinks to the shortest prefix that still diverges in a logarithmic number of
tries. Every candidate is strictly smaller by `size`, so a loop that only ever
accepts smaller requests ends.

Never dropped: `Host`, and `Content-Type` while there is a body. Header values
are kept as they are (a shortened token only fails authentication). A form body is
split into items as bytes, so the items kept are the request's bytes whatever their
encoding; a value is shortened by characters when it is UTF-8, else by bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

from twinsight.records import Exchange, Headers
from twinsight.spec.media import media_type

from . import shrink_json
from .shrink_json import Family, Stages

__all__ = ["WRITES", "Family", "Request", "families", "size"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose requests change the target: never sent twice with the same content."""
_FORM = "application/x-www-form-urlencoded"
_KEPT = frozenset({"host"})


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the minimizer shrinks and sends it: the query raw, as sent."""

    method: str
    path: str
    query: str = ""
    headers: Headers = ()
    body: bytes = b""

    @classmethod
    def of(cls, exchange: Exchange) -> Request:
        """The request of a recorded exchange."""
        return cls(
            exchange.method, exchange.path, exchange.query, exchange.headers, exchange.body.data
        )

    @property
    def content_type(self) -> str | None:
        """The first Content-Type header's value, if any."""
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)

    @property
    def is_write(self) -> bool:
        """Whether sending it may change the target."""
        return self.method.upper() in WRITES


def size(request: Request) -> tuple[int, int]:
    """What every candidate makes strictly smaller, compared as a tuple: (how raw the body
    is: none, parsed, bytes; bytes of headers, query and body, body values counted by
    `shrink_json.cost` when the body is JSON). A raw body's prefix may parse as JSON: the
    first member makes that a step down whatever it costs."""
    headers = sum(1 + len(k) + len(_encoded(v)) for k, v in request.headers)
    query = sum(_item_cost(_encoded(item)) for item in _items(request.query))
    rank, body = _body_size(request)
    return rank, headers + query + body


def families(request: Request) -> Iterator[Family]:
    """Every family of smaller requests (`Family.build(k)` returns a `Request`), most
    aggressive first; a request no family shrinks yields none."""
    if request.body:
        yield Family.one("body dropped", replace(request, body=b""))
    headers = _droppable(request)
    items = _items(request.query)
    yield from _halves("header", headers, lambda gone: _without_headers(request, gone))
    yield from _halves("query", range(len(items)), lambda gone: _without_items(request, gone))
    body = _body_families(request)
    yield from body.structure
    yield from _singles("header", headers, request.headers, lambda g: _without_headers(request, g))
    yield from _singles("query", range(len(items)), items, lambda g: _without_items(request, g))
    yield from body.singles
    for index, item in enumerate(items):
        yield from _shorter_item(_encoded(item), _query_setter(request, index), "query")
    yield from body.values


_MAX_DEPTH = 64  # deeper JSON is shrunk as bytes: the walks over it recurse


def _body_families(request: Request) -> Stages:
    kind, document = _body_kind(request)
    if kind == "json":
        found = shrink_json.stages(document)
        return Stages(
            *(
                [_json_family(request, f) for f in stage]
                for stage in (found.structure, found.singles, found.values)
            )
        )
    if kind == "form":
        items = _form_items(request.body)

        def rebuilt(gone: set[int]) -> Request:
            return _with_form(request, [i for n, i in enumerate(items) if n not in gone])

        values = [
            family
            for index, item in enumerate(items)
            for family in _shorter_item(item, _form_setter(request, items, index), "body")
        ]
        return Stages(
            list(_halves("body field", range(len(items)), rebuilt)),
            list(_singles("body field", range(len(items)), items, rebuilt)),
            values,
        )
    if kind == "raw" and request.body:
        body = request.body
        shorter = Family("body shortened", len(body), lambda k: replace(request, body=body[:k]))
        return Stages([], [], [shorter])
    return Stages([], [], [])


def _json_family(request: Request, family: Family) -> Family:
    def build(k: int) -> Request:
        return replace(request, body=_json_bytes(family.build(k)))

    return Family(family.what, family.above, build)


def _json_bytes(document: Any) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only escapes can carry it
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def _body_kind(request: Request) -> tuple[str, Any]:
    """(json, form, raw: shortened as bytes, or opaque: only dropped whole, like multipart;
    the parsed document of a JSON body)."""
    media = media_type(request.content_type)
    if media.startswith("multipart/"):
        return "opaque", None
    if media == _FORM:
        return "form", None
    if media == "application/json" or media.endswith("+json"):
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            return "raw", None
        if shrink_json.depth(document) <= _MAX_DEPTH:
            return "json", document
    return "raw", None


def _body_size(request: Request) -> tuple[int, int]:
    if not request.body:
        return 0, 0
    kind, document = _body_kind(request)
    if kind == "json":
        return 1, 1 + shrink_json.cost(document)
    if kind == "form":
        return 1, 1 + sum(_item_cost(item) for item in _form_items(request.body))
    return 2, 1 + len(request.body)


def _droppable(request: Request) -> list[int]:
    kept = _KEPT | ({"content-type"} if request.body else set())
    return [i for i, (name, _) in enumerate(request.headers) if name.lower() not in kept]


def _halves(
    what: str, indexes: Sequence[int], build: Callable[[set[int]], Request]
) -> Iterator[Family]:
    if len(indexes) < 2:
        return
    middle = len(indexes) // 2
    yield Family.one(f"every {what} dropped", build(set(indexes)))
    for part, name in ((indexes[:middle], "first"), (indexes[middle:], "second")):
        yield Family.one(f"{what}s: {name} half dropped", build(set(part)))


def _singles(
    what: str, indexes: Sequence[int], items: Sequence[object], build: Callable[[set[int]], Request]
) -> Iterator[Family]:
    for index in indexes:
        item = items[index]
        label = item[0] if isinstance(item, tuple) else _name(item)
        yield Family.one(f"{what} {label} dropped", build({index}))


def _without_headers(request: Request, gone: set[int]) -> Request:
    return replace(
        request, headers=tuple(h for i, h in enumerate(request.headers) if i not in gone)
    )


def _items(raw: str) -> list[str]:
    return [item for item in raw.split("&") if item]


def _form_items(body: bytes) -> list[bytes]:
    """A form body's items, split as bytes: rejoined, they are the body byte for byte
    (a value in raw UTF-8, or in no encoding at all, included)."""
    return [item for item in body.split(b"&") if item]


def _item_cost(item: bytes) -> int:
    name, _, value = item.partition(b"=")
    return 1 + len(_unquoted(name)) + len(_unquoted(value))


def _unquoted(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _name(item: object) -> str:
    """An item's name as a label: decoded, unreadable bytes replaced."""
    raw = item if isinstance(item, bytes) else _encoded(str(item))
    return _unquoted(raw.partition(b"=")[0]).decode("utf-8", "replace")


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _without_items(request: Request, gone: set[int]) -> Request:
    items = _items(request.query)
    return replace(request, query="&".join(i for n, i in enumerate(items) if n not in gone))


def _query_setter(request: Request, index: int) -> Callable[[bytes], Request]:
    def set_item(item: bytes) -> Request:
        items = _items(request.query)
        items[index] = item.decode("utf-8", "surrogatepass")
        return replace(request, query="&".join(items))

    return set_item


def _with_form(request: Request, items: list[bytes]) -> Request:
    return replace(request, body=b"&".join(items))


def _form_setter(request: Request, items: list[bytes], index: int) -> Callable[[bytes], Request]:
    def set_item(item: bytes) -> Request:
        changed = list(items)
        changed[index] = item
        return _with_form(request, changed)

    return set_item


def _shorter_item(item: bytes, rebuild: Callable[[bytes], Request], where: str) -> Iterator[Family]:
    """A `name=value` item with its decoded value shortened (re-encoded, name kept raw):
    by characters when the value is UTF-8, else by bytes."""
    name, equals, raw = item.partition(b"=")
    value = _unquoted(raw)
    if not equals or not value:
        return
    text = _utf8(value)

    def build(k: int) -> Request:
        cut = quote_from_bytes(value[:k], safe="") if text is None else quote(text[:k], safe="")
        return rebuild(name + b"=" + cut.encode("ascii"))

    length = len(value) if text is None else len(text)
    yield Family(f"{where} {_name(item)} shortened", length, build)


def _utf8(value: bytes) -> str | None:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None
