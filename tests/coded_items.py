"""Traffic whose candidate differs at `body.code` on every item and at the title on every
7th: a rule on `body.code` leaves only the title cluster, so a cluster can be made to go."""

from __future__ import annotations

from twinsight.records import Exchange
from twinsight.testing import get_item


def coded_items(start: int, count: int) -> list[Exchange]:
    """GET /items/{i} for i in [start, start + count)."""
    exchanges = []
    for i in range(start, start + count):
        legacy = {"item": i, "title": "Buy", "code": f"A-{i}"}
        candidate = {**legacy, "code": f"B-{i}"}
        if i % 7 == 0:
            candidate["title"] = "buy"
        exchanges.append(get_item(i, {"legacy": legacy, "candidate": candidate}))
    return exchanges
