"""The HTTP side shared by both services: `POST /soap`, `GET /orders/{id}.xml`, `GET /health`.

Each service is this app with its own spelling (`Style`), id scheme and `Quirks`.
SOAP 1.1 faults are answered with status 500, as the standard says.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from aiohttp import web

from .model import OrderBook, Refused
from .operations import OPERATIONS
from .render import Quirks, Shape, order_element
from .soap import CUSTOMERS, ORDERS, child, envelope, fault, noisy, parse_call, request_id
from .xmlwrite import Style, serialize

__all__ = ["make_service"]

BOOK_KEY = web.AppKey("book", OrderBook)
STYLE_KEY = web.AppKey("style", Style)
QUIRKS_KEY = web.AppKey("quirks", Quirks)


def make_service(style: Style, new_id: Callable[[], str], quirks: Quirks) -> web.Application:
    """One orders service: documents spelled in `style`, orders named by `new_id`."""
    app = web.Application()
    app[BOOK_KEY], app[STYLE_KEY], app[QUIRKS_KEY] = OrderBook(new_id), style, quirks
    app.router.add_post("/soap", soap)
    app.router.add_get("/orders/{id}.xml", order_document)
    app.router.add_get("/health", health)
    return app


def _xml(request: web.Request, root: ET.Element, status: int, kind: str) -> web.Response:
    body = serialize(root, request.app[STYLE_KEY])
    return web.Response(body=body, status=status, content_type=kind, charset="utf-8")


async def soap(request: web.Request) -> web.Response:
    """Dispatch one SOAP call on its SOAPAction and body; a refusal is a fault."""
    raw = await request.read()
    try:
        operation, payload = parse_call(raw, request.headers.get("SOAPAction"))
        run = OPERATIONS.get(operation)
        if run is None:
            raise Refused("UNKNOWN_OPERATION", f"Unknown operation {operation}")
        answer = run(request.app[BOOK_KEY], request.app[QUIRKS_KEY], payload)
    except Refused as refused:
        return _xml(request, envelope(fault(refused)), 500, "text/xml")
    return _xml(request, envelope(answer), 200, "text/xml")


async def order_document(request: web.Request) -> web.Response:
    """One order as a bare XML document (its `requestId` first), or a 404 error document."""
    try:
        order = request.app[BOOK_KEY].get(request.match_info["id"])
    except Refused as refused:
        error = noisy(ORDERS, "error")
        child(error, ORDERS, "requestId", request_id())
        child(error, ORDERS, "code", refused.code)
        child(error, ORDERS, "message", refused.message)
        return _xml(request, error, 404, "application/xml")
    moved = request.app[QUIRKS_KEY].customer_namespace_in_rest
    element = order_element(order, Shape(customer_namespace=CUSTOMERS if moved else ORDERS))
    root = noisy(ORDERS, "order")
    child(root, ORDERS, "requestId", request_id())
    root.extend(element)
    return _xml(request, root, 200, "application/xml")


async def health(request: web.Request) -> web.Response:
    """`ok`, with no noise at all: the same document on both services once canonicalised."""
    root = ET.Element(f"{{{ORDERS}}}health")
    child(root, ORDERS, "status", "ok")
    return _xml(request, root, 200, "application/xml")
