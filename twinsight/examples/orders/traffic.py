"""A scripted client session over every operation of the orders example, divergences included.

Each step names the classification twinsight must reach for it (DIVERGENCES.md);
`{name}` in a path or a body stands for the order id the *same* target gave the
order created by the step saved as `name`, so the script runs unchanged against
either service. Bodies are sent as the legacy's clients write them (`o:` prefixes).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import aiohttp

__all__ = ["SESSION", "Outcome", "Step", "run_session", "soap_call"]

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ORDERS = "urn:example:orders"


@dataclass(frozen=True)
class Step:
    """One request of the session and the classification it must reach."""

    method: str
    path: str
    body: str = ""
    action: str = ""
    """The operation named in the `SOAPAction` header; `""` sends none."""
    save_as: str = ""
    expect: str = "noise"
    note: str = ""


@dataclass
class Outcome:
    """What one target answered to one step."""

    step: Step
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def soap_call(operation: str, inner: str = "", *, action: str | None = None, **fields: str) -> Step:
    """A `POST /soap` step calling `operation` with `inner` as its payload's content."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:o="{ORDERS}">\n'
        f"  <soap:Body>\n    <o:{operation}>{inner}</o:{operation}>\n  </soap:Body>\n"
        "</soap:Envelope>\n"
    )
    return Step("POST", "/soap", body, action if action is not None else operation, **fields)


def line(sku: str, quantity: int, price: str) -> str:
    """One order line of a `CreateOrder` payload."""
    return (
        f"<o:line><o:sku>{sku}</o:sku><o:quantity>{quantity}</o:quantity>"
        f"<o:unitPrice>{price}</o:unitPrice></o:line>"
    )


def create(customer: str, *lines: str, save_as: str = "", note: str = "") -> Step:
    """A `CreateOrder` step."""
    inner = f"<o:customer>{customer}</o:customer>{''.join(lines)}"
    return soap_call("CreateOrder", inner, save_as=save_as, note=note)


def by_id(operation: str, name: str, expect: str = "noise", note: str = "") -> Step:
    """A step calling `operation` on the order saved as `name` (or a literal id)."""
    inner = f"<o:orderId>{{{name}}}</o:orderId>" if name.isidentifier() else name
    return soap_call(operation, inner, expect=expect, note=note)


def listing(customer: str, expect: str = "noise", note: str = "") -> Step:
    """A `ListOrders` step."""
    return soap_call("ListOrders", f"<o:customer>{customer}</o:customer>", expect=expect, note=note)


RENAMED = "row 6: the candidate's GetOrder names the total <amount>"
MOVED = "row 7: the candidate's customer is in urn:example:customers"
REORDERED = "row 9: the candidate lists the lines by sku (the legacy keeps their order)"

SESSION: tuple[Step, ...] = (
    Step("GET", "/health", expect="match", note="prefixes and indentation differ only"),
    create("acme", line("P-300", 1, "4.00"), line("P-100", 2, "9.50"), save_as="a1"),
    create("acme", line("P-200", 3, "2.25"), save_as="a2"),
    create("globex", line("P-100", 1, "9.50"), line("P-200", 1, "2.25"), save_as="g1"),
    by_id("GetOrder", "a1", "unexplained", RENAMED),
    Step("GET", "/orders/{a1}.xml", expect="unexplained", note=MOVED),
    listing("acme", "unexplained", REORDERED),
    listing("globex", note="its lines are in sku order already"),
    by_id("ShipOrder", "a2"),
    by_id(
        "CancelOrder",
        "a2",
        "candidate_error",
        "row 8: legacy 200 <cancelled>false</cancelled>, candidate a fault (500)",
    ),
    by_id("CancelOrder", "g1", "unexplained", "row 10: the candidate's createdAt is epoch ms"),
    by_id("CancelOrder", "g1", note="a fault on both: already cancelled"),
    by_id("ShipOrder", "g1", note="a fault on both: a cancelled order cannot be shipped"),
    by_id("GetOrder", "a2", "unexplained", RENAMED),
    Step("GET", "/orders/{g1}.xml", expect="unexplained", note=MOVED),
    listing("acme", "unexplained", REORDERED + "; the legacy's order as in step 7"),
    by_id("GetOrder", "<o:orderId>424242</o:orderId>", note="a fault on both: not found"),
    Step("GET", "/orders/424242.xml", note="404 on both"),
    create("initech", note="a fault on both: no lines"),
    soap_call("CreateOrder", "", action="GetOrder", note="a fault on both: SOAPAction"),
    soap_call("DeleteOrder", "<o:orderId>1</o:orderId>", note="a fault on both: unknown"),
    Step("POST", "/soap", "<soap:Envelope><oops", "GetOrder", note="a fault on both: not XML"),
    create("globex", line("P-400", 5, "1.10"), save_as="g2"),
    by_id("ShipOrder", "g2"),
    listing("globex", note="g1 cancelled, g2 shipped, lines in sku order"),
    listing("initech", note="no orders: an empty answer"),
)


def order_id(body: bytes) -> str | None:
    """The first `orderId` of an XML answer, if any."""
    try:
        found = ET.fromstring(body).find(f".//{{{ORDERS}}}orderId")
    except ET.ParseError:
        return None
    return found.text if found is not None else None


async def run_session(base_url: str, steps: tuple[Step, ...] = SESSION) -> list[Outcome]:
    """Run `steps` in order against the service (or proxy) at `base_url`."""
    ids: dict[str, str] = {}
    outcomes = []
    async with aiohttp.ClientSession(base_url) as client:
        for step in steps:
            headers = {"Content-Type": "text/xml; charset=utf-8"} if step.body else {}
            if step.action:
                headers["SOAPAction"] = f'"{ORDERS}/{step.action}"'
            body = step.body.format(**ids).encode("utf-8") if step.body else None
            path = step.path.format(**ids)
            async with client.request(step.method, path, data=body, headers=headers) as answer:
                payload = await answer.read()
                outcomes.append(Outcome(step, answer.status, payload, dict(answer.headers)))
            saved = order_id(payload) if step.save_as and answer.status == 200 else None
            if saved:
                ids[step.save_as] = saved
    return outcomes
