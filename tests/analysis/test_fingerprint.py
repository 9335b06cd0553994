"""Cluster fingerprints: one name per cause, whatever its endpoints, runs or order."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.clusters import Observation, cluster
from twinsight.analysis.diff import Difference
from twinsight.analysis.fingerprint import CauseKey, fingerprint, fingerprints, resolve
from twinsight.errors import UserError

SERVER = CauseKey("headers.server", "changed", "string changed", noise=False)


def test_a_cause_has_the_same_name_everywhere_and_always() -> None:
    # Pinned: a change to what is hashed must come with a new version, never silently.
    assert fingerprint(SERVER) == "c1-0426fa4a3c"
    assert fingerprint(SERVER._replace(noise=True)) == "c1-9b9970f225"


def test_each_part_of_the_cause_changes_the_name() -> None:
    others = [
        SERVER._replace(location="headers.via"),
        SERVER._replace(kind="missing"),
        SERVER._replace(pattern="number changed"),
        SERVER._replace(noise=True),
        CauseKey("headers.server\x1fchanged", "", "string changed", noise=False),
    ]
    assert len({fingerprint(k) for k in [SERVER, *others]}) == 1 + len(others)


def _observations(endpoints: list[str], ids: int) -> list[Observation]:
    header = Difference("headers.server", "changed", "nginx", "caddy")
    item = Difference("body.items[3].id", "missing", 7, None)
    return [
        Observation(f"{e}-{i}", e, d)
        for e in endpoints
        for i in range(ids)
        for d in ((header, item) if i % 2 else (header,))
    ]


def test_the_name_does_not_depend_on_endpoints_order_or_indexes() -> None:
    few = cluster(_observations(["GET /a"], 4), {"GET /a": 4})
    many = _observations(["GET /a", "GET /b", "DELETE /c/{id}"], 6)
    random.Random(3).shuffle(many)
    spread = cluster(many, {})
    names = {c.location: c.fingerprint for c in few}
    assert names == {c.location: c.fingerprint for c in spread}
    assert names["headers.server"] == fingerprint(SERVER)
    assert names["body.items[*].id"] == fingerprint(
        CauseKey("body.items[*].id", "missing", "present -> absent", noise=False)
    )


def test_the_same_cause_real_and_as_inferred_noise_are_two_clusters_with_two_names() -> None:
    header = Difference("headers.server", "changed", "nginx", "caddy")
    observations = [
        Observation("x1", "GET /a", header),
        Observation("x2", "GET /b", header, noise="inferred: varies"),
    ]
    found = cluster(observations, {})
    assert len({c.fingerprint for c in found}) == 2


@given(st.lists(st.sampled_from([SERVER, SERVER._replace(kind="type")]), max_size=6))
def test_names_of_one_run_are_unique_and_do_not_depend_on_order(keys: list[CauseKey]) -> None:
    ties = [str(n) for n in range(len(keys))]
    names = fingerprints(keys, ties)
    assert len(set(names)) == len(names)
    turned = fingerprints(keys[::-1], ties[::-1])
    assert dict(zip(ties, names, strict=True)) == dict(zip(ties[::-1], turned, strict=True))


def test_a_shared_name_is_told_apart_by_key_then_tiebreak_whatever_the_order() -> None:
    keys = [SERVER, SERVER]
    assert fingerprints(keys, ["GET /b", "GET /a"]) == ["c1-0426fa4a3c-2", "c1-0426fa4a3c"]
    assert fingerprints(keys, ["GET /a", "GET /b"]) == ["c1-0426fa4a3c", "c1-0426fa4a3c-2"]


def test_resolve_takes_full_names_and_unique_prefixes() -> None:
    known = ["c1-0426fa4a3c", "c1-0426fa4a3c-2", "c1-9b9970f225", "c1-9b11111111"]
    assert resolve(["c1-0426fa4a3c", "C1-9B99", "c1-0426fa4a3c-"], known) == [
        "c1-0426fa4a3c",
        "c1-9b9970f225",
        "c1-0426fa4a3c-2",
    ]


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("c1-ffff", "cluster 'c1-ffff': no cluster of the last analysis has this fingerprint"),
        ("", "cluster '': no cluster"),
        ("c1-9b", r"cluster 'c1-9b' is ambiguous: 2 clusters start with it \(c1-9b11"),
    ],
)
def test_resolve_names_an_unknown_or_ambiguous_prefix_in_one_line(
    prefix: str, message: str
) -> None:
    with pytest.raises(UserError, match=message) as raised:
        resolve([prefix], ["c1-9b9970f225", "c1-9b11111111"])
    assert "\n" not in str(raised.value)
