"""From the verdict and what the store holds to a `ReportData`: pure assembly, no I/O.

`gather.gather_report` reads the inputs (`StoreFacts`) and calls `assemble_report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from twinsight.analysis.clusters import INFERRED
from twinsight.analysis.collect import ScenarioRun
from twinsight.events import EndpointEvidence, ReadinessVerdict
from twinsight.spec import SpecCoverage
from twinsight.store import ClusterRow, StoreInfo
from twinsight.store.derived import RunFixes
from twinsight.store.reportdata import (
    ExampleExchange,
    LatencyQuantiles,
    SideCount,
    SuppressionCount,
    TimelineCount,
)

from .bodies import body_lines, curl_command, header_lines
from .document import (
    Answer,
    ClusterView,
    Example,
    LatencyView,
    LedgerRow,
    OneSided,
    ReportData,
    ScenarioView,
    TimelineBar,
    Uncovered,
)
from .figures import evidence_figures, thresholds_of
from .fixed import fixed_since
from .namespaces import Namespaces

__all__ = ["ConfiguredRule", "StoreFacts", "assemble_report", "ordered_endpoints"]

_ORDER = {"fail": 0, "inconclusive": 1, "not_measured": 2, "pass": 3}
LEDGER_SHOWN = 40
"""Rows of the suppression ledger shown; the rest are counted (`ReportData.ledger_more`)."""


@dataclass(frozen=True)
class ConfiguredRule:
    """A normalization rule (config) or accepted difference (spec), as written."""

    origin: str  # normalize, accepted
    where: str
    compare: str
    why: str
    by: str = ""  # who added it, when recorded (`twinsight accept` does)
    at: str = ""  # when: an ISO date

    @property
    def recorded(self) -> str:
        """What analysis writes in `differences.noise` / `.accepted` for this rule."""
        return self.where if self.origin == "normalize" else f"{self.where}: {self.why}"


@dataclass(frozen=True)
class StoreFacts:
    """What a report reads from the store, as the store's typed rows."""

    info: StoreInfo
    clusters: Sequence[ClusterRow] = ()
    clusters_total: tuple[int, int] = (0, 0)
    examples: Mapping[str, ExampleExchange] = field(default_factory=dict)
    suppressions: Sequence[SuppressionCount] = ()
    latencies: Sequence[LatencyQuantiles] = ()
    timeline: Sequence[TimelineCount] = ()
    extent: tuple[datetime | None, datetime | None] = (None, None)
    buckets: int = 40
    sides: Sequence[SideCount] = ()
    scenarios: Sequence[ScenarioRun] = ()
    coverage: SpecCoverage | None = None
    fixes: RunFixes | None = None  # None: the store records no run


def assemble_report(
    verdict: ReadinessVerdict,
    facts: StoreFacts,
    *,
    rules: Sequence[ConfiguredRule],
    targets: Mapping[str, str],
    legacy: str,
    command: str,
    generated_at: str,
    examples_per_cluster: int = 3,
    ledger_rows: int = LEDGER_SHOWN,
) -> ReportData:
    """The report of `verdict` over the store described by `facts`; the ledger keeps the
    `ledger_rows` rules that hid the most (and says what the others hid)."""
    wanted = (legacy, verdict.candidate)
    shown = {name: targets.get(name, "") for name in wanted}
    names = Namespaces()  # XML locations read `orders:total`, with a legend
    clusters = tuple(
        _cluster(rank, row, facts.examples, shown, examples_per_cluster, names)
        for rank, row in enumerate(facts.clusters, 1)
    )
    fixed = fixed_since(facts.fixes, names)
    ledger, more = _bounded(_ledger(rules, facts.suppressions), ledger_rows)
    return ReportData(
        title=f"twinsight report: {verdict.candidate} against {legacy}",
        generated_at=generated_at,
        command=command,
        verdict=verdict,
        targets=dict(targets),
        legacy=legacy,
        figures=evidence_figures(verdict, facts.info, facts.clusters_total),
        rules=tuple(sorted(verdict.rules, key=lambda r: _ORDER.get(r.status, 9))),
        endpoints=ordered_endpoints(verdict.endpoints),
        clusters=clusters,
        clusters_total=facts.clusters_total,
        scenarios=_scenarios(facts.scenarios, facts.coverage),
        ledger=ledger,
        ledger_more=more,
        latency=_latency(facts.latencies),
        timeline=_timeline(facts.timeline, facts.extent, facts.buckets),
        uncovered=_uncovered(verdict, facts.info, facts.sides),
        thresholds=thresholds_of(verdict),
        namespaces=tuple(names.legend()),
        fixed=fixed,
    )


def ordered_endpoints(endpoints: Sequence[EndpointEvidence]) -> tuple[EndpointEvidence, ...]:
    """Failing endpoints first, then inconclusive, then passing; busiest first within."""
    return tuple(sorted(endpoints, key=lambda e: (_ORDER.get(e.status, 9), -e.exchanges)))


def _cluster(
    rank: int,
    row: ClusterRow,
    examples: Mapping[str, ExampleExchange],
    targets: Mapping[str, str],
    count: int,
    names: Namespaces,
) -> ClusterView:
    found = [examples[i] for i in row.exchange_ids if i in examples][:count]
    return ClusterView(
        rank=rank,
        endpoint=row.endpoint,
        location=names.short(row.location),
        kind=row.kind,
        pattern=row.pattern,
        exchanges=row.exchanges,
        share=row.share,
        description=names.short(row.description),
        hypotheses=tuple(names.short(h) for h in row.hypotheses or ()),
        followers=tuple(names.short(f) for f in row.followers or ()),
        examples=tuple(_example(e, targets, names) for e in found),
        endpoints=tuple(
            zip(
                row.endpoints or (),
                row.endpoint_exchanges or (),
                row.endpoint_shares or (),
                strict=True,
            )
        ),
        of_endpoints=row.of_endpoints or 0,
        fingerprint=row.fingerprint or "",
        status=row.status or "",
    )


def _example(exchange: ExampleExchange, targets: Mapping[str, str], names: Namespaces) -> Example:
    """An exchange with the answers of `targets` (in that order) flagged where they differ."""
    locations = {location for location, _ in exchange.differences}
    by_target = {a.target: a for a in exchange.answers}
    answers = []
    for name, base in targets.items():
        answer = by_target.get(name)
        if answer is None:
            continue
        lines, note = body_lines(answer.body, locations)
        if answer.truncated:
            note = ", ".join(n for n in (note, "stored body cut at max_body") if n)
        curl = curl_command(
            base or f"http://{exchange.host or name}",
            exchange.method,
            exchange.path,
            exchange.query,
            exchange.headers,
            exchange.body,
        )
        answers.append(
            Answer(
                target=name,
                status=str(answer.status) if answer.status is not None else answer.error or "-",
                latency_ms=answer.latency_ms,
                headers=header_lines(answer.headers, locations),
                body=lines,
                note=note,
                curl=curl,
            )
        )
    query = f"?{exchange.query}" if exchange.query else ""
    return Example(
        id=exchange.id,
        request=f"{exchange.method} {exchange.path}{query}",
        ts=exchange.ts.isoformat() if exchange.ts else "",
        differences=tuple((names.short(where), kind) for where, kind in exchange.differences),
        answers=tuple(answers),
    )


def _scenarios(
    runs: Sequence[ScenarioRun], coverage: SpecCoverage | None
) -> tuple[ScenarioView, ...]:
    unchecked = {s.name: s.unbound_lines for s in coverage.scenarios} if coverage else {}
    return tuple(
        ScenarioView(r.name, r.exchanges, dict(r.passed), r.bound_lines, unchecked.get(r.name, ()))
        for r in runs
    )


def _ledger(rules: Sequence[ConfiguredRule], counts: Sequence[SuppressionCount]) -> list[LedgerRow]:
    """Every configured rule with what it hid (zero included), then measured noise: the
    replica's, and what analysis inferred (one row per kind of inference)."""
    found = {(c.column, c.rule): c for c in counts}
    rows, seen = [], set()
    for rule in rules:
        key = ("noise" if rule.origin == "normalize" else "accepted", rule.recorded)
        hit = found.get(key) if key not in seen else None
        seen.add(key)
        rows.append(
            LedgerRow(
                *(rule.origin, rule.where, rule.compare, rule.why),
                hit.differences if hit else 0,
                hit.exchanges if hit else 0,
                by=rule.by,
                at=rule.at,
            )
        )
    for key, count in found.items():
        if key not in seen:
            origin = _measured(key[0], count.rule)
            rows.append(LedgerRow(origin, count.rule, "", "", count.differences, count.exchanges))
    return rows


def _measured(column: str, recorded: str) -> str:
    """The origin of a suppression no configured rule names (a rule removed since, too)."""
    if recorded.startswith("replica"):
        return "replica"
    return "inferred" if recorded.startswith(INFERRED) else column


def _bounded(rows: list[LedgerRow], shown: int) -> tuple[tuple[LedgerRow, ...], tuple[int, int]]:
    """The `shown` rows that hid the most, in their order, and (rows, differences) of the
    others."""
    if len(rows) <= shown:
        return tuple(rows), (0, 0)
    ranked = sorted(range(len(rows)), key=lambda at: (-rows[at].differences, at))
    kept = sorted(ranked[:shown])
    left = [rows[at] for at in ranked[shown:]]
    return tuple(rows[at] for at in kept), (len(left), sum(r.differences for r in left))


def _latency(rows: Sequence[LatencyQuantiles]) -> tuple[LatencyView, ...]:
    samples: dict[str, dict[str, int]] = {}
    points: dict[str, dict[str, tuple[float, ...]]] = {}
    for row in rows:
        samples.setdefault(row.endpoint, {})[row.target] = row.samples
        points.setdefault(row.endpoint, {})[row.target] = tuple(row.quantiles)
    return tuple(LatencyView(e, samples[e], points[e]) for e in sorted(samples))


def _timeline(
    rows: Sequence[TimelineCount], extent: tuple[datetime | None, datetime | None], buckets: int
) -> tuple[TimelineBar, ...]:
    first, last = extent
    if first is None or last is None:
        return ()
    width = max((last - first) / buckets, timedelta(microseconds=1))
    return tuple(
        TimelineBar((first + width * row.bucket).isoformat(), row.classification, row.exchanges)
        for row in rows
    )


def _uncovered(verdict: ReadinessVerdict, info: StoreInfo, sides: Sequence[SideCount]) -> Uncovered:
    counters = info.counters
    not_compared = dict(verdict.not_compared)
    if info.unanswered and "unanswered" not in not_compared:
        not_compared["unanswered"] = info.unanswered
    return Uncovered(
        one_sided=one_sided(sides),
        writes_not_mirrored=counters.get("dropped.write_not_mirrored", 0),
        not_compared=not_compared,
        dropped={k: v for k, v in counters.items() if k.startswith("dropped.") and v},
        lost=info.lost,
        unclean_writers=len(info.unclean),
        capturing=info.capturing,
        served=counters.get("served"),
        mirrored=counters.get("mirrored"),
    )


def one_sided(sides: Sequence[SideCount]) -> tuple[OneSided, ...]:
    """Endpoints some target served and another never did (no answer, or only 404/405)."""
    by_endpoint: dict[str, list[SideCount]] = {}
    for side in sides:
        by_endpoint.setdefault(side.endpoint, []).append(side)
    found = []
    for endpoint, seen in sorted(by_endpoint.items()):
        served = tuple(s.target for s in seen if s.answered > s.not_found)
        idle = tuple(s.target for s in seen if s.target not in served)
        if served and idle:
            found.append(OneSided(endpoint, served, idle, max(s.exchanges for s in seen)))
    return tuple(found)
