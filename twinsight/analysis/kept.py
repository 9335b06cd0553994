"""Evidence kept from one analysis to the next, so a run reads only the exchanges new to it.

The legacy's evidence (`LegacyTally`) and the replica's counts (`ReplicaTally`) are read
over every exchange: before this, each incremental run read every legacy answer again,
costing O(store) for O(new traffic). Both tallies add up part by part (`merge`) to what
one pass over the whole stream reads, so a run starts from the tallies the last run kept
(`restored`), reads the exchanges they do not cover (`Store.exchanges(unread=True)`) and
keeps the sum (`kept_tables`) with the ids it now covers.

The paths the endpoints were learned from are kept too (`Endpoints.facts`): they add up
the same way. Kept tallies are used only while what they were read with still holds
(`legacy_fingerprint`, `replica_fingerprint`): the same version, the same endpoint names
for every earlier request, and for the replica's counts the same spec, rules, origins and
diff options. Otherwise that tally is read from every exchange again, as `--full` reads
everything.

A refused replay is judged with its recording's status (`Replayed`), and a recording
imported after its replay changes it: the run then keeps nothing (`notes_digest`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from twinsight.config import Config
from twinsight.spec import Spec
from twinsight.store import (
    EVIDENCE,
    EVIDENCE_IDS,
    EVIDENCE_RUNS,
    EVIDENCE_TOKENS,
    Columns,
    EvidenceRun,
    Store,
)
from twinsight.store.kept import KeptEvidence, covered_among, kept_evidence

from .comparable import Replayed
from .diff import DiffOptions
from .endpoints import Endpoints
from .installed import running_version
from .kept_fact import Fact
from .pipeline import LegacyTally, ReplicaTally

__all__ = [
    "KEPT_FORMAT",
    "Kept",
    "kept_from",
    "kept_tables",
    "kept_version",
    "legacy_fingerprint",
    "new_tokens",
    "notes_digest",
    "replica_fingerprint",
]

KEPT_FORMAT = 3
"""The layout of the kept facts: a change reads every exchange again."""


def legacy_fingerprint(endpoints: Endpoints) -> str:
    """What the legacy's evidence depends on besides the answers: how endpoints are named."""
    return _digest({"version": kept_version(), "naming": endpoints.naming()})


def replica_fingerprint(
    legacy: str,
    config: Config,
    spec: Spec | None,
    origins: Mapping[str, Sequence[str]],
    options: DiffOptions,
) -> str:
    """What the replica's counts depend on besides the answers: what the legacy's do, and
    how the judge compares (spec, rules, each target's origins, the diff's options)."""
    inputs = {
        "legacy": legacy,
        "spec": spec.model_dump(mode="json") if spec else None,
        "normalize": [rule.model_dump(mode="json") for rule in config.normalize],
        "origins": {name: list(names) for name, names in origins.items()},
        "headers": sorted(options.headers) if options.headers is not None else None,
        "strict numbers": options.strict_numbers,
        "lists": sorted(options.lists),
    }
    return _digest(inputs)


def notes_digest(replayed: Mapping[str, Replayed]) -> str:
    """What refused replays are judged with: each one's recorded status and notes."""
    return _digest(
        [[i, replayed[i].recorded_status, replayed[i].degraded] for i in sorted(replayed)]
    )


def _digest(inputs: object) -> str:
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass
class Kept:
    """What a run starts from; with nothing kept (`covered` 0), it reads every exchange."""

    legacy: LegacyTally | None = None
    legacy_fingerprint: str | None = None
    replica: ReplicaTally | None = None
    replica_fingerprint: str | None = None
    covered: int = 0
    """How many exchanges the kept facts cover: the endpoints' paths counted, and the
    tallies where their fingerprints still hold."""

    @classmethod
    def restored(cls, kept: KeptEvidence | None, endpoints: Endpoints) -> Kept:
        """The tallies `kept` holds, and the paths it counted restored into `endpoints`
        (learn the paths it does not cover, then ask `legacy_for`); nothing when it was
        kept by another version."""
        if kept is None or kept.run.version != kept_version():
            return cls()
        legacy, replica, paths = LegacyTally(), ReplicaTally(), list[Fact]()
        # Paths first into a scratch tree: `endpoints` gets them only once every fact is whole.
        scratch = Endpoints()
        for fact in kept.rows:
            if fact[0] == "path" and scratch.restore(fact):
                paths.append(fact)
            elif not (legacy.restore(fact) or replica.restore(fact)):
                return cls()  # a fact not whole, or of no kind known: read everything again
        for path in paths:
            endpoints.restore(path)
        run = kept.run
        return cls(legacy, run.legacy, replica, run.replica, run.exchanges)

    def legacy_for(self, fingerprint: str) -> LegacyTally | None:
        """The kept legacy's evidence, if read with `fingerprint` (else None: read anew)."""
        return self.legacy if self.legacy_fingerprint == fingerprint else None

    def replica_for(self, fingerprint: str) -> ReplicaTally | None:
        """The kept replica counts, if read with `fingerprint` (else None: count anew)."""
        return self.replica if self.replica_fingerprint == fingerprint else None


def kept_from(store: Store, endpoints: Endpoints, replayed: Mapping[str, Replayed]) -> Kept:
    """What the last run kept (its paths restored into `endpoints`); nothing when a refused
    replay it covered reads otherwise now (`replayed`: its recording imported since changes
    its verdict and the replica's counts)."""
    found = kept_evidence(store)
    if found is None:
        return Kept()
    covered = covered_among(store, replayed)
    notes = notes_digest({id_: replayed[id_] for id_ in covered})
    return Kept.restored(found if found.run.replayed == notes else None, endpoints)


def kept_version() -> str:
    """What every kept fact depends on: the twinsight version and code, the facts' layout."""
    return _digest({"twinsight": running_version(), "kept": KEPT_FORMAT})


def kept_tables(
    endpoints: Endpoints,
    legacy: tuple[LegacyTally, str],
    replica: tuple[ReplicaTally, str] | None,
    *,
    replayed: Mapping[str, Replayed],
    new_ids: Path,
    covered: int,
    spill: Path,
) -> list[Columns]:
    """`evidence`, `evidence_runs`, the `evidence_ids` this run adds (`new_ids`, on top of
    the `covered` it started from) and the `evidence_tokens` it read (those a kept part did
    not hold: `new_tokens`): what the next run starts from. Each tally comes with the
    fingerprint it was read with; `replayed`, the notes of every refused replay now covered."""
    facts = Columns(EVIDENCE, spill=spill / "evidence.parquet")
    tokens = Columns(EVIDENCE_TOKENS, spill=spill / "evidence_tokens.parquet")
    _add(facts, endpoints.facts())
    for fact in legacy[0].facts():
        # Tokens apart, only added to: a nonce per answer keeps one per exchange.
        if fact[0] == "token":
            tokens.add((fact[1], fact[2], fact[3]))
        else:
            facts.add(fact)
    if replica is not None:
        _add(facts, replica[0].facts())
    ids = Columns(EVIDENCE_IDS, spill=spill / "evidence_ids.parquet")
    ids.extend(new_ids)
    run = Columns(EVIDENCE_RUNS)
    counted = replica[1] if replica else None
    covers = covered + ids.rows
    run.add(EvidenceRun(kept_version(), legacy[1], counted, covers, notes_digest(replayed)))
    return [facts, run, ids, tokens]


def new_tokens(legacy: LegacyTally) -> Iterator[tuple[str, str, bytes]]:
    """The tokens `legacy` read served once so far, as `evidence_tokens` holds them."""
    for kind, endpoint, group, key, _, _ in legacy.tokens.facts():
        if kind == "token" and endpoint is not None and group is not None and key is not None:
            yield endpoint, group, key


def _add(columns: Columns, facts: Iterable[Fact]) -> None:
    for fact in facts:
        columns.add(fact)
