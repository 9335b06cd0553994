"""Judging only what is new: what a run's verdicts depend on (its fingerprint), and
starting from what earlier runs with the same fingerprint recorded (their verdicts are
read back by `twinsight.store.Store.earlier_verdicts`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import orjson

from twinsight.config import Config
from twinsight.spec import Spec
from twinsight.store import Derived

from .classify import CLASSIFICATIONS
from .collect import Collector
from .installed import running_version

__all__ = ["DERIVED_FORMAT", "analysis_fingerprint", "seed_earlier"]

DERIVED_FORMAT = 4
"""The layout of the derived tables: a change judges every exchange again (and rewrites them)."""


def analysis_fingerprint(
    config: Config,
    spec: Spec | None,
    noisy: frozenset[tuple[str, str]],
    unstable: frozenset[tuple[str, str]] = frozenset(),
    repeated: Mapping[str, frozenset[str]] | None = None,
    *,
    origins: Mapping[str, Sequence[str]] | None = None,
    volatile: frozenset[tuple[str, str]] = frozenset(),
    lists: frozenset[str] = frozenset(),
) -> str:
    """What a run's verdicts depend on besides the exchanges: equal fingerprints, equal
    verdicts for the same exchange (twinsight's version and code included)."""
    inputs = {
        "twinsight": running_version(),
        "tables": DERIVED_FORMAT,
        # A new classification (not_comparable) judges every exchange again once.
        "classifications": list(CLASSIFICATIONS),
        "spec": spec.model_dump(mode="json") if spec else None,
        "normalize": [rule.model_dump(mode="json") for rule in config.normalize],
        "targets": {name: str(url) for name, url in config.targets.items()},
        "noisy": sorted(noisy),
    }
    if origins:  # each target's own addresses, configured and recorded: a new one re-judges
        inputs["origins"] = {name: sorted(names) for name, names in origins.items()}
    if volatile:  # where the replica differed: times and tokens there are inferred
        inputs["replica volatile"] = sorted(volatile)
    if lists:  # XML elements known to repeat are indexed even alone: other locations
        inputs["xml lists"] = sorted(lists)
    if unstable:  # where the legacy shuffles sets: new evidence judges everything again
        inputs["unstable order"] = sorted(unstable)
    if repeated:  # where the legacy's tokens repeat: likewise
        inputs["repeated tokens"] = {e: sorted(groups) for e, groups in repeated.items()}
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def seed_earlier(collector: Collector, derived: Derived) -> None:
    """Start `collector` from what earlier runs recorded, so counts, clusters and proposals
    cover every exchange."""
    collector.seed(derived.cluster_state(), derived.counts())
