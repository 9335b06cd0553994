"""The legacy orders service: numbered orders, prefixed namespaces declared up front, indented.

Every namespace is declared on the root element with a prefix (`soap:`, `o:`), the
document starts with an XML declaration and is indented by two spaces.
"""

from __future__ import annotations

import itertools

from aiohttp import web

from twinsight.examples.orders.render import Quirks
from twinsight.examples.orders.service import make_service
from twinsight.examples.orders.soap import CUSTOMERS, ORDERS, SOAP
from twinsight.examples.orders.xmlwrite import Style

__all__ = ["STYLE", "make_app"]

STYLE = Style(
    prefixes={SOAP: "soap", ORDERS: "o", CUSTOMERS: "c"}, indent="  ", hoist=True, declaration=True
)


def make_app() -> web.Application:
    """The legacy service, its orders numbered 1, 2, 3, ... in memory."""
    numbers = itertools.count(1)
    return make_service(STYLE, lambda: str(next(numbers)), Quirks())
