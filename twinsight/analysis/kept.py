"""Evidence kept from one analysis to the next, so a run reads only the exchanges new to it.

The legacy's evidence (`LegacyTally`) and the replica's counts (`ReplicaTally`) are read
over every exchange: before this, each incremental run read every legacy answer again,
costing O(store) for O(new traffic). Both tallies add up part by part (`merge`) to what
one pass over the whole stream reads, so a run starts from the tallies the last run kept
(`restored`), reads the exchanges they do not cover (`Store.exchanges(unread=True)`) and
keeps the sum (`kept_tables`) with the ids it now covers.

Kept tallies are used only while what they were read with still holds (`legacy_fingerprint`,
`replica_fingerprint`): the same version, the same endpoint names for every earlier
request, and for the replica's counts the same spec, rules, origins and diff options.
Otherwise the run reads every exchange again, as `--full` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from twinsight import __version__
from twinsight.config import Config
from twinsight.spec import Spec
from twinsight.store import EVIDENCE, EVIDENCE_IDS, EVIDENCE_RUNS, Columns, EvidenceRun
from twinsight.store.kept import KeptEvidence

from .diff import DiffOptions
from .endpoints import Endpoints
from .kept_fact import Fact
from .pipeline import LegacyTally, ReplicaTally

__all__ = ["KEPT_FORMAT", "Kept", "kept_tables", "legacy_fingerprint", "replica_fingerprint"]

KEPT_FORMAT = 1
"""The layout of the kept facts: a change reads every exchange again."""


def legacy_fingerprint(endpoints: Endpoints) -> str:
    """What the legacy's evidence depends on besides the answers: how endpoints are named."""
    return _digest({"twinsight": __version__, "kept": KEPT_FORMAT, "naming": endpoints.naming()})


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


def _digest(inputs: object) -> str:
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass
class Kept:
    """The tallies a run starts from; a tally is None when the run reads every exchange."""

    legacy: LegacyTally | None = None
    replica: ReplicaTally | None = None
    replica_fingerprint: str | None = None
    """What the kept replica counts were read with: they are used only if it still holds."""
    covered: int = 0
    """How many exchanges the kept tallies cover."""

    @classmethod
    def restored(cls, kept: KeptEvidence | None, legacy: str) -> Kept:
        """The tallies `kept` holds, if read with the `legacy` fingerprint (else none)."""
        if kept is None or kept.run.legacy != legacy:
            return cls()
        tallies = LegacyTally(), ReplicaTally()
        for fact in kept.rows:
            if not any(tally.restore(fact) for tally in tallies):
                return cls()  # a fact of another layout: read everything again
        return cls(tallies[0], tallies[1], kept.run.replica, kept.run.exchanges)

    def replica_for(self, fingerprint: str) -> ReplicaTally | None:
        """The kept replica counts, if read with `fingerprint` (else None: count anew)."""
        if self.legacy is None or self.replica_fingerprint != fingerprint:
            return None
        return self.replica


def kept_tables(
    legacy: LegacyTally,
    replica: tuple[ReplicaTally, str] | None,
    fingerprint: str,
    *,
    new_ids: Path,
    covered: int,
    spill: Path,
) -> list[Columns]:
    """`evidence`, `evidence_runs` and the `evidence_ids` this run adds (`new_ids`, on top
    of the `covered` it started from): what the next run starts from."""
    facts = Columns(EVIDENCE, spill=spill / "evidence.parquet")
    _add(facts, legacy.facts())
    if replica is not None:
        _add(facts, replica[0].facts())
    ids = Columns(EVIDENCE_IDS, spill=spill / "evidence_ids.parquet")
    ids.extend(new_ids)
    run = Columns(EVIDENCE_RUNS)
    run.add(EvidenceRun(fingerprint, replica[1] if replica else None, covered + ids.rows))
    return [facts, run, ids]


def _add(columns: Columns, facts: Iterable[Fact]) -> None:
    for fact in facts:
        columns.add(fact)
