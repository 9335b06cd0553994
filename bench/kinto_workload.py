"""A deterministic client session against Kinto's HTTP API: reads, writes and errors.

`{name}` in a path, header or body stands for a value an earlier answer of the
*same* server gave (a server-generated id, an ETag), saved by that step's `save`
as `name -> "json:<dotted path>"` or `"header:<name>"`: the way a real client
names what the server created. Through the proxy the client sees the legacy's
answers, so it names the legacy's values; the proxy maps ids for the candidate.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ALICE = "Basic " + base64.b64encode(b"alice:wonderland").decode()
BOB = "Basic " + base64.b64encode(b"bob:builder").decode()
COLLECTION = "/v1/buckets/shop/collections/items"
RECORDS = f"{COLLECTION}/records"
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


@dataclass(frozen=True)
class Request:
    """One request of the session."""

    method: str
    path: str
    body: Any = None  # JSON, or a str sent as is (bad JSON)
    headers: dict[str, str] = field(default_factory=dict)
    auth: str = ALICE  # "" for an anonymous request
    save: dict[str, str] = field(default_factory=dict)

    def shown(self) -> str:
        """The request as a table shows it."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Answer:
    """What one server answered to one request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: Any  # parsed JSON, the text when it is not JSON, None when empty


def _record(name: str, price: int, *tags: str) -> dict[str, Any]:
    return {"data": {"name": name, "price": price, "tags": list(tags)}}


def _setup() -> list[Request]:
    return [
        Request("GET", "/v1/", auth=""),
        Request("GET", "/v1/__heartbeat__", auth=""),
        Request("GET", "/v1/__lbheartbeat__", auth=""),
        Request("GET", "/v1/", save={"alice": "json:user.id"}),
        Request("GET", "/v1/buckets"),
        Request("GET", "/v1/buckets", auth=""),
        Request("PUT", "/v1/buckets/shop", {"data": {"title": "Shop"}}),
        Request("PUT", "/v1/buckets/shop", {"data": {"title": "Shop"}}),
        Request("GET", "/v1/buckets/shop", save={"shop_etag": "header:ETag"}),
        Request("GET", "/v1/buckets/shop", headers={"If-None-Match": "{shop_etag}"}),
        Request("GET", "/v1/buckets/shop", auth=BOB),
        Request("GET", "/v1/buckets/nowhere"),
        Request("POST", "/v1/buckets", {"data": {"title": "scratch"}}, save={"b": "json:data.id"}),
        Request("GET", "/v1/buckets/{b}"),
        Request("PATCH", "/v1/buckets/{b}", {"data": {"note": "temporary"}}),
        Request("DELETE", "/v1/buckets/{b}"),
        Request("GET", "/v1/buckets/{b}"),
        Request("PUT", COLLECTION, {"data": {"title": "Items"}}),
        Request("GET", "/v1/buckets/shop/collections"),
        Request("GET", COLLECTION),
    ]


def _writes() -> list[Request]:
    posts = [
        Request("POST", RECORDS, _record(name, price, *tags), save={key: "json:data.id"})
        for key, name, price, tags in (
            ("r1", "apple", 3, ("fruit", "red")),
            ("r2", "banana", 2, ("fruit",)),
            ("r3", "carrot", 1, ("vegetable", "orange")),
            ("r4", "dates", 9, ("fruit", "dried")),
            ("r5", "eggplant", 4, ()),
        )
    ]
    return [
        *posts,
        Request("PUT", f"{RECORDS}/fig", _record("fig", 7, "fruit"), save={"fig": "header:ETag"}),
        Request("PUT", f"{RECORDS}/grape", _record("grape", 5, "fruit", "red")),
        Request("PUT", f"{RECORDS}/fig", _record("fig", 8), headers={"If-None-Match": "*"}),
        Request("PUT", f"{RECORDS}/kiwi", _record("kiwi", 6), headers={"If-None-Match": "*"}),
        Request("GET", f"{RECORDS}/{{r1}}", save={"r1_etag": "header:ETag"}),
        Request("GET", f"{RECORDS}/{{r2}}"),
        Request("GET", f"{RECORDS}/fig"),
        Request("PATCH", f"{RECORDS}/{{r1}}", {"data": {"price": 4}}),
        Request("PATCH", f"{RECORDS}/{{r1}}", {"data": {"tags": None}}, headers=MERGE),
        Request("PATCH", f"{RECORDS}/{{r2}}", [{"op": "add", "path": "/data/ripe", "value": True}]),
        Request(
            "PATCH",
            f"{RECORDS}/{{r3}}",
            [{"op": "replace", "path": "/data/price", "value": 2}],
            headers=JSON_PATCH,
        ),
        Request("PATCH", f"{RECORDS}/{{r4}}", {"data": {"price": 10}}, headers={"If-Match": '"1"'}),
        Request("PATCH", f"{RECORDS}/fig", {"data": {"price": 9}}, headers={"If-Match": "{fig}"}),
        Request("PUT", f"{RECORDS}/grape", _record("grape", 5), headers={"If-Match": '"42"'}),
        Request("GET", f"{RECORDS}/{{r1}}", headers={"If-None-Match": "{r1_etag}"}),
        Request("GET", f"{RECORDS}/fig", headers={"If-None-Match": '"7"'}),
        Request("DELETE", f"{RECORDS}/{{r5}}"),
        Request("GET", f"{RECORDS}/{{r5}}"),
        Request("DELETE", f"{RECORDS}/{{r5}}"),
        Request("PUT", f"{RECORDS}/{{r5}}", _record("eggplant", 4, "vegetable")),
    ]


def _reads() -> list[Request]:
    queries = (
        "",
        "?_sort=price",
        "?_sort=-price,name",
        "?_sort=name&_limit=3",
        "?_sort=id",
        "?price=5",
        "?min_price=4&_sort=name",
        "?lt_price=3&_sort=price",
        "?in_name=apple,fig,kiwi&_sort=name",
        "?like_name=a&_sort=name",
        "?has_ripe=true",
        "?contains_tags=fruit&_sort=name",
        "?_fields=name,price&_sort=name",
        "?_sort=unknown_field",
        "?_limit=notanumber",
        "?min_price=abc",
        "?_limit=2&_sort=name",
        "?_since=0&_sort=name",
        "?gt_price=3&not_name=fig&_sort=name",
        "?has_ripe=false&_sort=-name&_fields=tags",
        "?_token=bogus",
    )
    return [
        *(Request("GET", RECORDS + query) for query in queries),
        Request("HEAD", RECORDS),
        Request("GET", RECORDS, auth=BOB),
        Request("GET", RECORDS, auth=""),
        Request("GET", f"{RECORDS}/missing"),
        Request("GET", "/v1/buckets/shop/collections/nothing/records"),
        Request("GET", RECORDS, headers={"Origin": "https://shop.example"}),
        Request(
            "OPTIONS",
            RECORDS,
            auth="",
            headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
        ),
        Request("GET", "/v1/__api__", auth=""),
        Request("GET", "/v1/__version__", auth=""),
        Request("GET", "/v1/contribute.json", auth=""),
    ]


def _errors() -> list[Request]:
    return [
        Request("POST", RECORDS, "{not json", headers={"Content-Type": "application/json"}),
        Request("POST", RECORDS, {"data": "not an object"}),
        Request("POST", RECORDS, [1, 2, 3]),
        Request("PUT", f"{RECORDS}/bad%20id", _record("bad", 1)),
        Request("PUT", "/v1/buckets/shop", {"data": {"title": "Shop"}}, auth=BOB),
        Request("DELETE", "/v1/buckets/shop/collections/nothing"),
        Request("GET", "/v1/nowhere"),
        Request("POST", "/v1/", {"data": {}}),
        Request("PATCH", f"{RECORDS}/{{r2}}", {"data": {"price": 1}}, headers={"If-Match": "x"}),
        Request("PUT", f"{RECORDS}/plum", {"data": {"id": "prune", "name": "plum"}}),
        Request("DELETE", f"{RECORDS}/grape", headers={"If-Match": '"1"'}),
        Request("POST", "/v1/batch", {"requests": [{"method": "GET", "path": "/buckets/no"}]}),
        Request("POST", "/v1/batch", {"requests": [{"path": "/v1/"}] * 30}),
    ]


def _groups_batch_and_end() -> list[Request]:
    group = "/v1/buckets/shop/groups/staff"
    batch = {
        "defaults": {"method": "POST", "path": RECORDS},
        "requests": [{"body": _record("lime", 2, "fruit")}, {"body": _record("mint", 1)}],
    }
    return [
        Request("PUT", group, {"data": {"members": ["{alice}"]}}),
        Request("GET", group),
        Request("PATCH", group, {"data": {"members": ["{alice}", "account:bob"]}}),
        Request("GET", "/v1/buckets/shop/groups"),
        Request("DELETE", group),
        Request("POST", "/v1/batch", batch),
        Request("POST", "/v1/batch", {"requests": []}),
        Request("GET", f"{RECORDS}?_sort=name"),
        Request(
            "POST",
            RECORDS,
            {"data": {"name": "pear"}, "permissions": {"read": ["system.Everyone"]}},
            save={"pear": "json:data.id"},
        ),
        Request("GET", f"{RECORDS}/{{pear}}", auth=""),
        Request("GET", f"{RECORDS}/{{pear}}", auth=BOB),
        Request("PUT", f"{COLLECTION}", {"data": {"title": "Items"}, "permissions": {"read": []}}),
        Request("GET", COLLECTION),
        Request("GET", "/v1/buckets/shop/collections?_sort=id"),
        Request("DELETE", f"{RECORDS}?price=2"),
        Request("GET", f"{RECORDS}?_sort=name"),
        Request("DELETE", RECORDS),
        Request("GET", RECORDS),
        Request("DELETE", COLLECTION),
        Request("GET", COLLECTION),
        Request("DELETE", "/v1/buckets/shop"),
        Request("GET", "/v1/buckets"),
    ]


WORKLOAD: tuple[Request, ...] = (
    *_setup(),
    *_writes(),
    *_reads(),
    *_errors(),
    *_groups_batch_and_end(),
)


def _fill(text: str, saved: dict[str, str]) -> str:
    for name, value in saved.items():
        text = text.replace("{" + name + "}", value)
    return text


def _saved_value(source: str, answer: Answer) -> str:
    kind, _, where = source.partition(":")
    if kind == "header":
        return next((v for k, v in answer.headers if k.lower() == where.lower()), "")
    value: Any = answer.body
    for part in where.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


async def send(
    client: aiohttp.ClientSession, base: str, request: Request, saved: dict[str, str]
) -> Answer:
    """Send `request` to `base`, its `{names}` filled from `saved`; remember what it saves."""
    headers = {k: _fill(v, saved) for k, v in request.headers.items()}
    if request.auth:
        headers["Authorization"] = request.auth
    data: bytes | None = None
    if isinstance(request.body, str):
        data = request.body.encode()
    elif request.body is not None:
        data = _fill(json.dumps(request.body), saved).encode()
        headers.setdefault("Content-Type", "application/json")
    url = base + _fill(request.path, saved)
    async with client.request(request.method, url, data=data, headers=headers) as reply:
        raw = await reply.read()
        answer = Answer(reply.status, tuple(reply.headers.items()), _parse(raw))
    for name, source in request.save.items():
        saved[name] = _saved_value(source, answer)
    return answer


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


async def run_workload(base: str) -> list[Answer]:
    """The whole workload, in order, against the server at `base`: every answer."""
    saved: dict[str, str] = {}
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as client:
        return [await send(client, base, request, saved) for request in WORKLOAD]
