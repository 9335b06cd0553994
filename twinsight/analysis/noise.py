"""Noise: differences that are not the candidate's doing.

Three sources, all pure functions here:

- the replica, per exchange: a location where the legacy and its replica also
  differ, the same way, is noise for that exchange;
- the replica, statistically (Diffy's thresholds): per endpoint and location,
  the candidate's difference rate must exceed the replica's by more than a
  relative and an absolute margin, else the location is noise everywhere (random
  values can agree by chance between two legacy instances);
- without a replica, volatile locations: values unique per exchange on both
  sides and of one shape (ids, timestamps, request ids) are proposed as
  shape-compared noise for a human to confirm.

A noisy location still counts when the candidate changes its type or presence
(a random id that became a string is a real difference).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .diff import Difference
from .shapes import shape_of

__all__ = [
    "NoiseThresholds",
    "Volatile",
    "noise_in_exchange",
    "real_locations",
    "same_way",
    "volatile_locations",
]

Key = tuple[str, str]  # (endpoint, location group)


@dataclass(frozen=True)
class NoiseThresholds:
    """Diffy's defaults: relative > 20 %, absolute > 0.03 % of the endpoint's exchanges."""

    relative: float = 0.20
    absolute: float = 0.0003


def same_way(candidate: Difference, replica: Difference) -> bool:
    """Whether two differences at one location are alike: same kind and, if changed, same shape."""
    if candidate.kind != replica.kind:
        return False
    if candidate.kind == "changed":
        return shape_of(candidate.candidate) == shape_of(replica.candidate)
    return True


def noise_in_exchange(candidate: Sequence[Difference], replica: Sequence[Difference]) -> list[bool]:
    """For each candidate difference: is it noise, given the replica's differences?"""
    by_group = {d.group: d for d in replica}
    return [d.group in by_group and same_way(d, by_group[d.group]) for d in candidate]


def real_locations(
    raw: Mapping[Key, int],
    noise: Mapping[Key, int],
    totals: Mapping[str, int],
    thresholds: NoiseThresholds = NoiseThresholds(),
) -> set[Key]:
    """Locations whose candidate difference rate stands out from the replica's.

    `raw` counts exchanges where the candidate differs at a location, `noise`
    where the replica does, `totals` the exchanges per endpoint that had a replica.
    """
    real = set()
    for key, count in raw.items():
        total = totals.get(key[0], 0)
        if total <= 0:
            real.add(key)  # no replica evidence: nothing makes it noise
            continue
        raw_rate, noise_rate = count / total, noise.get(key, 0) / total
        excess = raw_rate - noise_rate
        relative = excess / noise_rate if noise_rate else float("inf")
        if excess > thresholds.absolute and relative > thresholds.relative:
            real.add(key)
    return real


@dataclass(frozen=True)
class Volatile:
    """A location whose values look per-exchange on both sides: a proposed normalization."""

    endpoint: str
    location: str
    shape: str
    samples: int
    unique_share: float = field(default=1.0)


def volatile_locations(
    observations: Iterable[tuple[str, Difference]],
    *,
    min_samples: int = 20,
    min_unique: float = 0.9,
) -> list[Volatile]:
    """Locations changed in many exchanges with values unique on both sides and one shape.

    `observations` are (endpoint, difference) pairs, one per exchange and location.
    """
    seen: dict[Key, list[Difference]] = defaultdict(list)
    for endpoint, difference in observations:
        if difference.kind == "changed":
            seen[(endpoint, difference.group)].append(difference)
    found = []
    for (endpoint, location), items in seen.items():
        if len(items) < min_samples:
            continue
        shapes = {shape_of(d.legacy) for d in items} | {shape_of(d.candidate) for d in items}
        if len(shapes) != 1 or shapes & {"null", "boolean", "array", "object"}:
            continue
        unique = min(
            len({repr(d.legacy) for d in items}), len({repr(d.candidate) for d in items})
        ) / len(items)
        if unique >= min_unique:
            found.append(Volatile(endpoint, location, shapes.pop(), len(items), unique))
    return sorted(found, key=lambda v: (v.endpoint, v.location))
