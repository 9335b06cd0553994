"""An order as XML, and where the candidate's representation departs on purpose (`Quirks`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC

from .model import Order
from .soap import ORDERS, child

__all__ = ["Quirks", "Shape", "order_element"]


@dataclass(frozen=True)
class Quirks:
    """The candidate's planted divergences (DIVERGENCES.md rows 6-10); all off on the legacy."""

    amount_in_get_order: bool = False
    """Row 6: `GetOrder` names the order's total `amount` instead of `total`."""
    customer_namespace_in_rest: bool = False
    """Row 7: `GET /orders/{id}.xml` puts `customer` in `urn:example:customers`."""
    fault_on_shipped_cancel: bool = False
    """Row 8: `CancelOrder` of a shipped order faults where the legacy answers normally."""
    sorted_lines_in_list: bool = False
    """Row 9: `ListOrders` lists each order's lines by sku, not in the order given."""
    epoch_created_in_cancel: bool = False
    """Row 10: `CancelOrder` answers `createdAt` as epoch milliseconds."""


@dataclass(frozen=True)
class Shape:
    """How one answer spells an order; the default is the legacy's everywhere."""

    total_name: str = "total"
    customer_namespace: str = ORDERS
    sorted_lines: bool = False
    epoch_created: bool = False


def created_at(order: Order, epoch: bool) -> str:
    """ISO 8601 UTC with milliseconds, or epoch milliseconds."""
    if epoch:
        return str(int(order.created_at.timestamp() * 1000))
    stamp = order.created_at.astimezone(UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def order_element(order: Order, shape: Shape = Shape()) -> ET.Element:
    """`order` as `{urn:example:orders}order`."""
    element = ET.Element(f"{{{ORDERS}}}order")
    child(element, ORDERS, "orderId", order.id)
    child(element, shape.customer_namespace, "customer", order.customer)
    child(element, ORDERS, "status", order.status)
    child(element, ORDERS, "createdAt", created_at(order, shape.epoch_created))
    lines = child(element, ORDERS, "lines")
    listed = sorted(order.lines, key=lambda line: line.sku) if shape.sorted_lines else order.lines
    for line in listed:
        item = child(lines, ORDERS, "line")
        child(item, ORDERS, "sku", line.sku)
        child(item, ORDERS, "quantity", str(line.quantity))
        child(item, ORDERS, "unitPrice", f"{line.unit_price:.2f}")
    child(element, ORDERS, shape.total_name, f"{order.total:.2f}")
    return element
