"""The orders both services keep in memory, and the rules they agree on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

__all__ = ["Line", "Order", "OrderBook", "Refused"]

PENDING, SHIPPED, CANCELLED = "pending", "shipped", "cancelled"


class Refused(Exception):
    """A request the rules refuse: a SOAP fault (or a 404) with `code` and `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Line:
    """One line of an order: `quantity` of `sku` at `unit_price` each."""

    sku: str
    quantity: int
    unit_price: Decimal


@dataclass
class Order:
    """An order as both services store it."""

    id: str
    customer: str
    lines: list[Line]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = PENDING

    @property
    def total(self) -> Decimal:
        """The sum of the lines, to the cent."""
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))


class OrderBook:
    """Orders in creation order; `new_id` names each new one."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.new_id = new_id
        self.orders: dict[str, Order] = {}

    def create(self, customer: str, lines: list[Line]) -> Order:
        """A new pending order; an order needs a customer and at least one line."""
        if not customer:
            raise Refused("INVALID", "A customer is required")
        if not lines:
            raise Refused("INVALID", "An order needs at least one line")
        order = Order(self.new_id(), customer, lines)
        self.orders[order.id] = order
        return order

    def get(self, order_id: str) -> Order:
        """The order named `order_id`."""
        order = self.orders.get(order_id)
        if order is None:
            raise Refused("NOT_FOUND", "Order not found")
        return order

    def listed(self, customer: str) -> list[Order]:
        """The customer's orders, oldest first."""
        return [order for order in self.orders.values() if order.customer == customer]

    def ship(self, order_id: str) -> Order:
        """Ship a pending order."""
        order = self.get(order_id)
        if order.status != PENDING:
            raise Refused("CONFLICT", f"A {order.status} order cannot be shipped")
        order.status = SHIPPED
        return order

    def cancel(self, order_id: str) -> Order:
        """Cancel a pending order; a shipped one is left as it is (the caller decides)."""
        order = self.get(order_id)
        if order.status == CANCELLED:
            raise Refused("CONFLICT", "Order already cancelled")
        if order.status == PENDING:
            order.status = CANCELLED
        return order
