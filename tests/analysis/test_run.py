"""The analyze shell on synthetic stores: the replica's statistical noise, volatile values."""

import random
from pathlib import Path

import orjson

from twinsight.analysis.run import analyse_store
from twinsight.config import Config
from twinsight.store import Body, DuckDBSink, Exchange, Redactor, Response, StoreWriter, new_id

JSON = (("Content-Type", "application/json"),)


def answer(target: str, body: dict[str, object]) -> Response:
    return Response(target, 200, JSON, Body.of(orjson.dumps(body), 1 << 20))


def write(path: Path, exchanges: list[Exchange]) -> None:
    writer = StoreWriter(DuckDBSink(path), redactor=Redactor()).start()
    for exchange in exchanges:
        writer.submit(exchange)
    writer.close()


def test_a_location_noisy_on_the_replica_is_noise_even_where_they_agree_by_chance(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    exchanges = []
    for i in range(200):
        # `coin` is random per answer: legacy and replica agree half the time by chance.
        bodies = {
            t: {"coin": rng.choice(["heads", "tails"]), "item": i}
            for t in ("legacy", "replica", "candidate")
        }
        if i % 50 == 0:
            bodies["candidate"]["item"] = -1  # a real difference, 4 times
        exchanges.append(
            Exchange(
                id=new_id(),
                source="proxy",
                method="GET",
                path=f"/items/{i}",
                responses=tuple(answer(t, b) for t, b in bodies.items()),
            )
        )
    write(tmp_path / "s.duckdb", exchanges)
    analysis = analyse_store(tmp_path / "s.duckdb", None, config=Config(), spec=None)
    assert analysis.counts["unexplained"] == 4
    assert analysis.counts["noise"] + analysis.counts["match"] == 196
    assert [(c.endpoint, c.location, c.kind, c.count) for c in analysis.clusters] == [
        ("GET /items/{id}", "body.item", "changed", 4)
    ]


def test_without_a_replica_volatile_locations_are_proposed(tmp_path: Path) -> None:
    exchanges = [
        Exchange(
            id=new_id(),
            source="proxy",
            method="GET",
            path=f"/items/{i}",
            responses=(
                answer("legacy", {"request_id": f"req-{i}-0000000000000000a", "item": i}),
                answer("candidate", {"request_id": f"req-{i}-0000000000000000b", "item": i}),
            ),
        )
        for i in range(30)
    ]
    write(tmp_path / "s.duckdb", exchanges)
    analysis = analyse_store(tmp_path / "s.duckdb", None, config=Config(), spec=None)
    assert [(v.endpoint, v.location) for v in analysis.volatile] == [
        ("GET /items/{id}", "body.request_id")
    ]
    assert analysis.counts["unexplained"] == 30  # until a human confirms the rule
