"""The candidate rewrite: UUID order ids, default namespaces declared where needed, one line.

The orders namespace is the default namespace, declared on the first element that
uses it; the document is written on one line without an XML declaration. Equal to
the legacy's once canonicalised, but for the divergences planted on purpose
(DIVERGENCES.md rows 6-10), which `faithful` leaves out.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from twinsight.examples.orders.render import Quirks
from twinsight.examples.orders.service import make_service
from twinsight.examples.orders.soap import CUSTOMERS, ORDERS, SOAP
from twinsight.examples.orders.xmlwrite import Style

__all__ = ["PLANTED", "STYLE", "make_app"]

STYLE = Style(prefixes={SOAP: "soap", ORDERS: "", CUSTOMERS: ""})
PLANTED = Quirks(
    amount_in_get_order=True,
    customer_namespace_in_rest=True,
    fault_on_shipped_cancel=True,
    sorted_lines_in_list=True,
    epoch_created_in_cancel=True,
)


def make_app(*, faithful: bool = False) -> web.Application:
    """The candidate service in memory; `faithful` leaves out the planted divergences."""
    return make_service(STYLE, lambda: str(uuid.uuid4()), Quirks() if faithful else PLANTED)
