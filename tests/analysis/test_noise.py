import tomllib

from twinsight.analysis.diff import Difference
from twinsight.analysis.noise import (
    NoiseThresholds,
    noise_in_exchange,
    real_locations,
    volatile_locations,
)
from twinsight.config import Config
from twinsight.report.analysis import volatile_rule

UUID = "0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"


def test_a_location_the_replica_also_changes_is_noise_unless_its_type_or_presence_differs() -> None:
    candidate = [
        Difference("body.request_id", "changed", 1, 2),
        Difference("body.nonce", "type", 5, "5"),
        Difference("body.title", "changed", "a", "b"),
        Difference("body.items[3].at", "changed", "2026-01-01", "2026-01-02"),
    ]
    replica = [
        Difference("body.request_id", "changed", 1, 3),
        Difference("body.nonce", "changed", 5, 6),
        Difference("body.items[0].at", "changed", "2026-01-01", "2026-01-03"),
    ]
    assert noise_in_exchange(candidate, replica) == [True, False, False, True]


def test_diffys_thresholds() -> None:
    totals = {"GET /a": 10_000}
    raw = {("GET /a", "body.x"): 1000, ("GET /a", "body.y"): 1100, ("GET /a", "body.z"): 2}
    noise = {("GET /a", "body.x"): 1000, ("GET /a", "body.y"): 800}
    # x: as noisy as the replica; y: 37.5 % more than the replica; z: 0.02 % only, below 0.03 %
    assert real_locations(raw, noise, totals) == {("GET /a", "body.y")}
    lenient = NoiseThresholds(relative=0.5, absolute=0.0001)
    assert real_locations(raw, noise, totals, lenient) == {("GET /a", "body.z")}
    assert real_locations({("GET /b", "body.x"): 1}, {}, totals) == {("GET /b", "body.x")}


def test_volatile_locations_are_proposed_with_a_rule_that_loads() -> None:
    observations = [
        (
            "GET /tasks/{id}",
            Difference(
                "body.created_at",
                "changed",
                f"2026-01-01T00:00:{i:02}Z",
                f"2026-01-01T00:01:{i:02}Z",
            ),
        )
        for i in range(30)
    ]
    observations += [
        ("GET /tasks/{id}", Difference("body.id", "changed", i, UUID[:-2] + f"{i:02}"))
        for i in range(30)
    ]
    observations += [
        ("GET /tasks/{id}", Difference("body.status", "changed", "pending", "done"))
        for _ in range(30)
    ]
    found = volatile_locations(observations)
    assert [(v.location, v.shape) for v in found] == [
        ("body.created_at", "timestamp"),
        ("body.id", "id"),
    ]
    config = Config.model_validate(tomllib.loads(volatile_rule(found[0])))
    assert config.normalize[0].where == "GET /tasks/{id} body.created_at"
    assert config.normalize[0].compare == "shape"


def test_too_few_samples_propose_nothing() -> None:
    few = [("GET /a", Difference("body.t", "changed", i, i + 1)) for i in range(5)]
    assert volatile_locations(few) == []
