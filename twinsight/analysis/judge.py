"""One exchange through the pure pipeline: neutral origins, diff, discount, check, classify."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace

from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.spec import CheckMemo, Reads, Scenario, Spec, spec_reads
from twinsight.spec.inputs import RequestView

from .classify import Judged, Verdict, classify
from .comparable import Replayed, not_comparable
from .diff import Difference, DiffOptions, Message, diff_responses
from .inference import Evidence, Window, inferred_noise
from .noise import noise_in_exchange
from .order import UnstableOrder
from .origins import neutral_origin
from .rules import Rule, covering_rule
from .scenarios import LineResult, check_scenarios, scenarios_by_method
from .shapes import shape_of

__all__ = ["Judge", "Judgement", "ReplicaView"]


@dataclass(frozen=True)
class Judgement:
    """Everything decided about one exchange for one candidate."""

    verdict: Verdict
    differences: tuple[Judged, ...]
    lines: tuple[LineResult, ...]
    replica_groups: frozenset[str] = frozenset()  # where the legacy and its replica differ
    replica_changed: frozenset[str] = frozenset()
    """Where a replica that answered like the legacy (same status) changed a value or an
    array's order."""


@dataclass(frozen=True)
class ReplicaView:
    """What the replica's statistics count of one exchange (see `Judge.replica_view`)."""

    unaccepted: frozenset[str] = frozenset()
    """Location groups where the candidate differs unless the spec accepts it there (the
    first rule covering the difference is an `accepted` one)."""
    replica_groups: frozenset[str] = frozenset()
    replica_changed: frozenset[str] = frozenset()


ANY_ENDPOINT = "*"
"""`Judge.replica_volatile`'s key for locations the replica showed volatile on any endpoint."""


@dataclass(frozen=True)
class Judge:
    """The settings one analysis run applies to every exchange."""

    spec: Spec | None = None
    rules: Sequence[Rule] = ()
    options: DiffOptions = field(default_factory=DiffOptions)
    origins: Mapping[str, Sequence[str]] = field(default_factory=dict)  # target -> its origins
    noisy: frozenset[tuple[str, str]] = frozenset()
    """(endpoint, location group) pairs the replica shows to be noise statistically."""
    memo: CheckMemo = field(default_factory=CheckMemo, compare=False, repr=False)
    """Scenario check results by the variables they read, shared by every exchange."""
    correlated: Mapping[str, Set[tuple[str, str]]] = field(default_factory=dict)
    """target -> the (legacy id, its id) pairs the traffic learned, for inferred noise."""
    unstable: UnstableOrder = field(default_factory=UnstableOrder)
    """Where the legacy itself serves sets in random order, for inferred noise."""
    repeated: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """endpoint -> location groups where the legacy served one token twice: never `opaque`."""
    replica_volatile: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """endpoint -> location groups where the replica ever differed from the legacy."""

    @functools.cached_property
    def _reads(self) -> Reads | None:
        return spec_reads(self.spec.scenarios) if self.spec else None

    @functools.cached_property
    def _by_method(self) -> dict[str, tuple[Scenario, ...]] | None:
        return scenarios_by_method(self.spec) if self.spec else None

    def judge(
        self,
        request: RequestView,
        legacy: Message,
        candidate: Message,
        replica: Message | None = None,
        *,
        candidate_name: str = "candidate",
        endpoint: str = "",
        replayed: Replayed | None = None,
    ) -> Judgement:
        """Classify one exchange for `candidate_name`; `replayed`: what the store knows of
        the recording it replays (two refusals of an unauthenticated replay agree on nothing)."""
        refused = not_comparable(legacy, candidate, replayed)  # before a diff says `match`
        if refused is not None:
            return Judgement(Verdict("not_comparable", refused), (), ())
        legacy, candidate, found = self._compared(legacy, candidate, candidate_name)
        from_replica = [False] * len(found)
        replica_groups: frozenset[str] = frozenset()
        replica_changed: frozenset[str] = frozenset()
        evidence = self._evidence(legacy, candidate, candidate_name, endpoint)
        if replica is not None:
            # Beside a replica only what the traffic learned counts (the legacy and its
            # replica make the same ids: correlated ids it cannot show), and times or tokens
            # where the replica showed that location volatile in some exchange.
            # Where the replica showed it here, or at the same location of another endpoint
            # (a header, or one field of one representation, stamped alike everywhere).
            volatile = self.replica_volatile.get(endpoint, frozenset())
            volatile |= self.replica_volatile.get(ANY_ENDPOINT, frozenset())
            evidence = replace(evidence, learned_only=True, volatile=volatile)
            against_replica = self._against_replica(legacy, replica)
            replica_groups = frozenset(d.group for d in against_replica)
            replica_changed = _changed(legacy, replica, against_replica)
            from_replica = noise_in_exchange(found, against_replica)
        judged = tuple(
            self._discount(d, noisy, request, endpoint, evidence)
            for d, noisy in zip(found, from_replica, strict=True)
        )
        lines = self._lines(request, legacy, candidate)
        verdict = classify(legacy, candidate, judged, lines)
        return Judgement(verdict, judged, lines, replica_groups, replica_changed)

    def _lines(
        self, request: RequestView, legacy: Message, candidate: Message
    ) -> tuple[LineResult, ...]:
        """The spec's lines the exchange exercises, checked on both targets."""
        if self.spec is None:
            return ()
        found = check_scenarios(
            self.spec, request, legacy, candidate, self._reads, self.memo, self._by_method
        )
        return tuple(found)

    def replica_view(
        self,
        request: RequestView,
        legacy: Message,
        candidate: Message,
        replica: Message | None,
        *,
        candidate_name: str = "candidate",
        replayed: Replayed | None = None,
    ) -> ReplicaView:
        """What `judge` would show the replica's statistics, at the cost of the two diffs:
        they read only the differences and which are accepted, never the checks, inferred
        noise or the verdict the rest of `judge` spends its time on."""
        if not_comparable(legacy, candidate, replayed) is not None:
            return ReplicaView()
        legacy, candidate, found = self._compared(legacy, candidate, candidate_name)
        method, path = request.method, request.path
        unaccepted = frozenset(
            d.group for d in found if not _accepted(covering_rule(d, self.rules, method, path))
        )
        if replica is None:
            return ReplicaView(unaccepted)
        against_replica = self._against_replica(legacy, replica)
        groups = frozenset(d.group for d in against_replica)
        return ReplicaView(unaccepted, groups, _changed(legacy, replica, against_replica))

    def _compared(
        self, legacy: Message, candidate: Message, name: str
    ) -> tuple[Message, Message, list[Difference]]:
        """Both answers with their own origins made neutral, and how they differ."""
        legacy = neutral_origin(legacy, self.origins.get(PRIMARY_TARGET, ()))
        candidate = neutral_origin(candidate, self.origins.get(name, ()))
        return legacy, candidate, diff_responses(legacy, candidate, self.options)

    def _against_replica(self, legacy: Message, replica: Message) -> list[Difference]:
        """The legacy (origins neutral already) against its replica."""
        replica = neutral_origin(replica, self.origins.get(REPLICA_TARGET, ()))
        return diff_responses(legacy, replica, self.options)

    def _evidence(self, legacy: Message, candidate: Message, name: str, endpoint: str) -> Evidence:
        # Without a replica, the exchange's own times, the learned ids and where the legacy
        # shuffles its sets are the evidence.
        return Evidence(
            Window.of(legacy.sent_at, legacy.latency_ms),
            Window.of(candidate.sent_at, candidate.latency_ms),
            self.correlated.get(name, frozenset()),
            unstable=self.unstable.groups(endpoint),
            repeated=self.repeated.get(endpoint, frozenset()),
        )

    def _discount(
        self,
        difference: Difference,
        noisy: bool,
        request: RequestView,
        endpoint: str,
        evidence: Evidence,
    ) -> Judged:
        rule = covering_rule(difference, self.rules, request.method, request.path)
        if rule is not None and rule.origin == "accepted":
            return Judged(difference, accepted=f"{rule.where}: {rule.why}")
        if rule is not None:
            return Judged(difference, noise=rule.where)
        if noisy:
            return Judged(difference, noise=REPLICA_TARGET)
        if (endpoint, difference.group) in self.noisy and _same_shape(difference):
            return Judged(difference, noise="replica, over all exchanges")
        return Judged(difference, noise=inferred_noise(difference, evidence))


def _accepted(rule: Rule | None) -> bool:
    return rule is not None and rule.origin == "accepted"


def _changed(legacy: Message, replica: Message, against: Sequence[Difference]) -> frozenset[str]:
    # Only a replica that answered like the legacy (same status) shows a value volatile.
    if replica.error is not None or replica.status != legacy.status:
        return frozenset()
    return frozenset(d.group for d in against if d.kind in ("changed", "order"))


def _same_shape(difference: Difference) -> bool:
    # A noisy location still counts when the candidate changes a value's type or presence.
    return difference.kind == "changed" and shape_of(difference.legacy) == shape_of(
        difference.candidate
    )
