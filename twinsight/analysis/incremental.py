"""Judging only what is new: what a run's verdicts depend on (its fingerprint), and what
earlier runs with the same fingerprint decided."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import orjson

from twinsight import __version__
from twinsight.config import Config
from twinsight.events import ExchangeJudged
from twinsight.spec import Spec
from twinsight.store import Derived, EarlierVerdict, Store

from .collect import CLUSTERED, SAMPLED_KINDS, Collector, loads

__all__ = ["DERIVED_FORMAT", "analysis_fingerprint", "earlier_events", "seed_earlier"]

DERIVED_FORMAT = 3
"""The layout of the derived tables: a change judges every exchange again (and rewrites them)."""


def analysis_fingerprint(
    config: Config, spec: Spec | None, noisy: frozenset[tuple[str, str]]
) -> str:
    """What a run's verdicts depend on besides the exchanges: equal fingerprints, equal
    verdicts for the same exchange (the twinsight version included)."""
    inputs = {
        "twinsight": __version__,
        "tables": DERIVED_FORMAT,
        "spec": spec.model_dump(mode="json") if spec else None,
        "normalize": [rule.model_dump(mode="json") for rule in config.normalize],
        "targets": {name: str(url) for name, url in config.targets.items()},
        "noisy": sorted(noisy),
    }
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def earlier_events(store: Store) -> Iterator[ExchangeJudged]:
    """The verdicts earlier runs stored, told as if judged now."""
    for verdict in store.earlier_verdicts():
        yield _event(verdict)


def _event(verdict: EarlierVerdict) -> ExchangeJudged:
    differences = tuple(
        {**d, "legacy": loads(d["legacy"]), "candidate": loads(d["candidate"])}
        for d in verdict.differences
    )
    return ExchangeJudged(
        id=verdict.id,
        method=verdict.method,
        path=verdict.path,
        query=verdict.query,
        endpoint=verdict.endpoint,
        candidate=verdict.candidate,
        classification=verdict.classification,
        reason=verdict.reason,
        differences=differences,
    )


def seed_earlier(collector: Collector, derived: Derived) -> None:
    """Start `collector` from what earlier runs recorded, so counts, clusters and proposals
    cover every exchange."""
    found = derived.differences(classifications=CLUSTERED, kinds=SAMPLED_KINDS)
    collector.seed(found, derived.counts())
