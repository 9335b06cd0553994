"""The SOAP operations: a payload in, the answer's element out (`Refused` for a fault)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from .model import SHIPPED, Line, OrderBook, Refused
from .render import Quirks, Shape, order_element
from .soap import ORDERS, noisy, text_of

__all__ = ["OPERATIONS", "Operation"]

Operation = Callable[[OrderBook, Quirks, ET.Element], ET.Element]


def _line(element: ET.Element) -> Line:
    try:
        line = Line(
            text_of(element, "sku"),
            int(text_of(element, "quantity")),
            Decimal(text_of(element, "unitPrice")),
        )
    except (ValueError, InvalidOperation):
        line = Line("", 0, Decimal(0))
    if not line.sku or line.quantity < 1 or not line.unit_price.is_finite():
        raise Refused("INVALID", "A line needs a sku, a positive quantity and a price")
    return line


def _answer(operation: str, *children: ET.Element) -> ET.Element:
    answer = noisy(ORDERS, f"{operation}Response")
    answer.extend(children)
    return answer


def create_order(book: OrderBook, quirks: Quirks, payload: ET.Element) -> ET.Element:
    """Create an order from a customer and its lines."""
    lines = [_line(element) for element in payload.findall(f"{{{ORDERS}}}line")]
    order = book.create(text_of(payload, "customer"), lines)
    return _answer("CreateOrder", order_element(order))


def get_order(book: OrderBook, quirks: Quirks, payload: ET.Element) -> ET.Element:
    """One order by id."""
    order = book.get(text_of(payload, "orderId"))
    shape = Shape(total_name="amount" if quirks.amount_in_get_order else "total")
    return _answer("GetOrder", order_element(order, shape))


def list_orders(book: OrderBook, quirks: Quirks, payload: ET.Element) -> ET.Element:
    """A customer's orders, oldest first."""
    shape = Shape(sorted_lines=quirks.sorted_lines_in_list)
    orders = book.listed(text_of(payload, "customer"))
    return _answer("ListOrders", *(order_element(order, shape) for order in orders))


def ship_order(book: OrderBook, quirks: Quirks, payload: ET.Element) -> ET.Element:
    """Ship a pending order."""
    return _answer("ShipOrder", order_element(book.ship(text_of(payload, "orderId"))))


def cancel_order(book: OrderBook, quirks: Quirks, payload: ET.Element) -> ET.Element:
    """Cancel a pending order; a shipped one stays shipped (`cancelled` false) on the legacy."""
    order = book.cancel(text_of(payload, "orderId"))
    shipped = order.status == SHIPPED
    if shipped and quirks.fault_on_shipped_cancel:
        raise Refused("CONFLICT", "Order already shipped")
    cancelled = ET.Element(f"{{{ORDERS}}}cancelled")
    cancelled.text = "false" if shipped else "true"
    shape = Shape(epoch_created=quirks.epoch_created_in_cancel)
    return _answer("CancelOrder", cancelled, order_element(order, shape))


OPERATIONS: dict[str, Operation] = {
    "CreateOrder": create_order,
    "GetOrder": get_order,
    "ListOrders": list_orders,
    "ShipOrder": ship_order,
    "CancelOrder": cancel_order,
}
