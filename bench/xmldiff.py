"""Benchmark: the pair diff of ~5 KB XML bodies, against the JSON diff of the same documents.

    .venv/bin/python bench/xmldiff.py [--pairs 2000] [--rounds 7]

An order document (customer, address, 28 keyed lines with nested prices and tags) is
answered by a legacy and a candidate that differ in a few places: a fresh id attribute,
a timestamp element, one changed price, and in one pair of four two lines swapped. Each
round diffs every pair with `diff_responses` on fresh `Message`s (parsing included, as
analysis does it: nothing cached from a previous round); reported is the median pairs/s
over rounds, for the candidate written with the legacy's prefixes and for one
re-serialised with a default namespace, the ratio to the JSON diff of the same documents,
and the floor under any XML comparison: parsing both bodies, nothing else.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from twinsight.analysis.bodies.xmlparse import parse_xml
from twinsight.analysis.diff import Message, diff_responses

XML = (("Content-Type", "application/xml; charset=utf-8"),)
JSON = (("Content-Type", "application/json"),)
NS = "urn:example:orders"


def order(rng: random.Random, lines: int = 28) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "created": f"2026-11-30T10:00:{rng.randrange(60):02}Z",
        "customer": {"id": f"C{rng.randrange(10_000)}", "name": "Ada Lovelace", "tier": "gold"},
        "address": {"street": "12 Analytical Row", "city": "London", "zip": "NW1 6XE"},
        "lines": [
            {
                "id": f"L{i}",
                "sku": f"SKU-{rng.randrange(10_000):04}",
                "qty": rng.randrange(1, 9),
                "price": {"currency": "EUR", "amount": f"{rng.randrange(100, 99_999) / 100:.2f}"},
                "tags": [f"tag{rng.randrange(20)}" for _ in range(2)],
            }
            for i in range(lines)
        ],
    }


def variant(rng: random.Random, legacy: dict[str, Any], swap: bool) -> dict[str, Any]:
    candidate = orjson.loads(orjson.dumps(legacy))
    candidate["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    candidate["created"] = legacy["created"][:-3] + f"{rng.randrange(60):02}Z"
    line = candidate["lines"][rng.randrange(len(candidate["lines"]))]
    line["price"]["amount"] = "0.99"
    if swap:
        items = candidate["lines"]
        items[3], items[4] = items[4], items[3]
    return candidate


def to_xml(document: dict[str, Any], prefix: str) -> bytes:
    """The order as XML, its namespace under `prefix` (`` for a default namespace)."""
    p = f"{prefix}:" if prefix else ""
    declared = f"xmlns:{prefix}" if prefix else "xmlns"

    def element(name: str, text: object, attributes: str = "") -> str:
        return f"<{p}{name}{attributes}>{escape(str(text))}</{p}{name}>"

    def block(name: str, fields: dict[str, Any]) -> str:
        return f"<{p}{name}>" + "".join(element(k, v) for k, v in fields.items()) + f"</{p}{name}>"

    lines = "".join(
        f"\n    <{p}line id={quoteattr(line['id'])}>{element('sku', line['sku'])}"
        f"{element('qty', line['qty'])}"
        f"{element('price', line['price']['amount'], ' currency=' + quoteattr('EUR'))}"
        f"<{p}tags>{''.join(element('tag', t) for t in line['tags'])}</{p}tags></{p}line>"
        for line in document["lines"]
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}order {declared}="{NS}" '
        f"id={quoteattr(document['id'])}>\n  {element('created', document['created'])}\n  "
        f"{block('customer', document['customer'])}\n  {block('address', document['address'])}"
        f"\n  <{p}lines>{lines}\n  </{p}lines>\n</{p}order>\n"
    ).encode()


Bodies = list[tuple[bytes, bytes]]


def pairs_per_second(pairs: Bodies, headers: tuple[tuple[str, str], ...], rounds: int) -> float:
    """The median over `rounds` of pairs diffed per second, each round on fresh messages."""
    rates = []
    for _ in range(rounds):
        messages = [(Message(200, headers, a), Message(200, headers, b)) for a, b in pairs]
        started = time.perf_counter()
        for legacy, candidate in messages:
            diff_responses(legacy, candidate)
        rates.append(len(pairs) / (time.perf_counter() - started))
    return statistics.median(rates)


def parses_per_second(pairs: Bodies, rounds: int) -> float:
    """The median over `rounds` of pairs whose two bodies are parsed (and nothing else) per s."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for a, b in pairs:
            parse_xml(a), parse_xml(b)
        rates.append(len(pairs) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(1)
    documents = [order(rng) for _ in range(args.pairs)]
    candidates = [variant(rng, d, i % 4 == 0) for i, d in enumerate(documents)]
    pairs = list(zip(documents, candidates, strict=True))
    cases = {
        "XML, same prefixes": (XML, [(to_xml(a, "o"), to_xml(b, "o")) for a, b in pairs]),
        "XML, other prefixes": (XML, [(to_xml(a, "o"), to_xml(b, "")) for a, b in pairs]),
        "JSON, same documents": (JSON, [(orjson.dumps(a), orjson.dumps(b)) for a, b in pairs]),
    }
    rates = {name: pairs_per_second(bodies, h, args.rounds) for name, (h, bodies) in cases.items()}
    floor = "XML, parse both bodies only"
    rates[floor] = parses_per_second(cases["XML, same prefixes"][1], args.rounds)
    cases[floor] = cases["XML, same prefixes"]
    json_rate = rates["JSON, same documents"]
    print("| diff of one pair | body bytes | pairs/s (median) | x JSON |\n|---|---:|---:|---:|")
    for name, (_, bodies) in cases.items():
        size = statistics.mean(len(legacy) for legacy, _ in bodies)
        print(f"| {name} | {size:,.0f} | {rates[name]:,.0f} | {rates[name] / json_rate:.2f} |")


if __name__ == "__main__":
    main()
