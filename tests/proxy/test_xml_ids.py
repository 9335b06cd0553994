"""The orders example through the real proxy: the candidate is asked about its own orders.

The legacy numbers its orders, the candidate gives UUIDs; the client only ever sees the
legacy's numbers. With ids learned from the XML answers to `CreateOrder` and put into the
SOAP payloads and `/orders/{id}.xml`, the candidate answers each step as the legacy does,
but for the one planted fault (DIVERGENCES.md row 8).
"""

import re
from pathlib import Path

from twinsight.analysis.load import read_exchanges
from twinsight.demo import capture_orders_session
from twinsight.records import PRIMARY_TARGET
from twinsight.store import Store

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def operation(headers: dict[str, str], path: str) -> str:
    action = headers.get("soapaction", "")
    return action.strip('"').rsplit("/", 1)[-1] if action else path


async def test_the_candidate_gets_its_own_order_ids(tmp_path: Path) -> None:
    store = tmp_path / "orders.duckdb"
    await capture_orders_session(store)
    with Store.open(store) as opened:
        exchanges = list(read_exchanges(opened))
        correlations = opened.correlations()
    assert len(exchanges) == 26
    differing = []
    by_operation: dict[str, list[bytes]] = {}
    for stored in exchanges:
        legacy, candidate = stored.answers[PRIMARY_TARGET], stored.answers["candidate"]
        name = operation(dict(stored.request.headers), stored.request.path)
        if legacy.status == 200:
            assert b"Order not found" not in candidate.body, (name, candidate.body)
            by_operation.setdefault(name, []).append(candidate.body)
        if legacy.status != candidate.status:
            differing.append((name, legacy.status, candidate.status))
    # Row 8 only: CancelOrder of a shipped order, a fault on the candidate.
    assert differing == [("CancelOrder", 200, 500)]
    for name in ("GetOrder", "CancelOrder", "ShipOrder"):
        assert all(UUID.search(body) for body in by_operation[name]), name
    documents = [
        s
        for s in exchanges
        if s.request.path.startswith("/orders/") and "424242" not in s.request.path
    ]
    assert len(documents) == 2
    assert all(s.answers["candidate"].status == 200 for s in documents)
    # Each order created answered with a pair, each later call rewritten with it.
    pairs = correlations["candidate"]
    assert {legacy for legacy, _ in pairs} >= {"1", "2", "3", "4"}
    assert all(UUID.fullmatch(theirs.encode()) for legacy, theirs in pairs if legacy.isdigit())
