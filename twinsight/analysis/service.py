"""`twinsight analyze`: every stored exchange judged for every candidate, into tables.

The shell around the pure pipeline: read exchanges from the store, judge each, tell
`on_judged` about every verdict, collect rows, hand them back to the store. Counting
and grouping afterwards is the store's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from twinsight.config import Config
from twinsight.events import ExchangeJudged
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.spec import Spec
from twinsight.store import EVIDENCE_IDS, EVIDENCE_TOKENS, AnalysisRun, Columns, Derived, Store
from twinsight.store.evidence import Comparability
from twinsight.store.kept import kept_tokens_among, unread_ids
from twinsight.store.partitions import exchange_count, id_cuts

from .collect import Analysis, Collector, scenario_runs
from .comparable import Replayed, degraded_kinds
from .cores import usable_cores
from .endpoints import Endpoints
from .history import judged_anew, mark
from .incremental import analysis_fingerprint, seed_earlier
from .judge import ANY_ENDPOINT, Judge
from .kept import Kept, kept_from, kept_tables, legacy_fingerprint, new_tokens, replica_fingerprint
from .load import read_exchanges, replays_of, rules_from
from .noise import NoiseThresholds
from .origins import target_origins
from .pipeline import (
    LegacyTally,
    ReplicaNoise,
    ReplicaTally,
    judge_stream,
    judged_event,
    replica_stream,
)
from .pools import Pool
from .progress import OnProgress, announce, telling, wanted
from .verdict_file import read_verdicts
from .workers import (
    Part,
    absorb,
    evidence_parts,
    judge_parts,
    processes,
    tally_parts,
    worker_count,
)

__all__ = ["OnJudged", "analyze_store", "endpoints_of"]

OnJudged = Callable[[ExchangeJudged], None]
"""Told each verdict as it is reached (or read back from an earlier run)."""
_APPENDED = ("classifications", "differences", "checks")
"""The tables an incremental run adds to (the others it replaces)."""


def analyze_store(
    path: Path | None,
    segments: Path | None,
    *,
    config: Config,
    spec: Spec | None,
    on_judged: OnJudged | None = None,
    full: bool = False,
    workers: int | None = None,
    pool: Pool | None = None,
    on_progress: OnProgress | None = None,
) -> Analysis:
    """Judge the exchanges of a store, write the derived tables, return what was decided.

    Incremental: when the last run was computed with the same spec, rules, targets and
    replica noise, only exchanges it has not classified are judged and added (`full`
    judges everything again). Counts and clusters always cover every exchange.

    `workers`: processes that judge in parallel (None: one per CPU this process may use,
    `usable_cores`); a store too small to pay for them is judged in this process.
    `on_judged` is told every verdict in the order one process reaches them, however many
    judge: each part's are kept and told part by part.
    `pool`: judges the parts instead of worker processes (a Dask cluster), as many as it says.
    `on_progress` is told how each pass over the exchanges goes (not on a `pool`)."""
    judge = Judge(spec=spec, rules=rules_from(config.normalize, spec))
    if workers is None and pool is None:
        workers = usable_cores()
    derived = Derived.of(path, segments)
    earlier = None if full else derived.state()
    with tempfile.TemporaryDirectory(prefix="twinsight-analyze-") as scratch:
        collector = Collector(spill=Path(scratch))
        # One pool of worker processes for every pass over the parts (none spawned unless used).
        with Store.open(path, segments) as store, processes(workers), telling(on_progress):
            context = store.comparability()
            replayed = replays_of(context.replayed)
            judged_too = bool(on_judged)
            run = _Run(path, segments, Path(scratch), workers, replayed, pool, judged_too, full)
            judged = _judge_store(store, judge, config, earlier, collector, on_judged, run)
            fingerprint, incremental, noisy = judged.fingerprint, judged.incremental, judged.noisy
        if incremental:
            seed_earlier(collector, derived)
        analysis = collector.finish(propose_volatile=not noisy)
        analysis.analysed = analysis.classifications.rows  # earlier rows stay in the store
        _tell_comparability(analysis, context)
        done = AnalysisRun(fingerprint, collector.now, sum(analysis.counts.values()))
        kept = _Kept([*judged.kept.tables, collector.state()], judged.kept.appended)
        _record(analysis, derived, done, incremental=incremental, kept=kept)
    if spec is not None:
        analysis.coverage = scenario_runs(spec, derived.scenario_counts())
    return analysis


def _record(
    analysis: Analysis, derived: Derived, run: AnalysisRun, *, incremental: bool, kept: _Kept
) -> None:
    """Mark the clusters run over run and write the tables, with the evidence `kept` for the
    next run. Only a run that judged anew (`history.judged_anew`) adds a run to
    `cluster_history` and `analysis_runs`; a re-read (`report`, `ready` or `propose` when
    nothing is new, `analyze` twice) adds nothing and is marked as the run it reads again
    was, so "fixed" and "new" stay against real runs."""
    analysis.recorded = judged_anew(derived.last_recorded(), run)
    analysis.fixed = mark(analysis.clusters, derived.cluster_past(of_last=not analysis.recorded))
    appended = ("cluster_history", *(_APPENDED if incremental else ()))
    derived.write(
        [*analysis.tables(run.analysed_at), *kept.tables],
        append=(*appended, *kept.appended),
        state=run if analysis.recorded else None,
    )


def _tell_comparability(analysis: Analysis, context: Comparability) -> None:
    """What the store says of the exchanges that could not be compared in full."""
    analysis.degraded = degraded_kinds(context.degraded)
    analysis.degraded_exchanges = sum(n for _, n in context.degraded)
    analysis.unmirrored = context.unmirrored
    analysis.unreplayed = context.unreplayed
    analysis.replayed_recordings = context.replayed_recordings
    analysis.unanswered = context.unanswered


class _Kept(NamedTuple):
    """What a run keeps for the next (its evidence, its clustering): the tables, and those of
    them added to (what the run started from kept facts for) rather than replaced."""

    tables: list[Columns]
    appended: tuple[str, ...]


class _Judged(NamedTuple):
    fingerprint: str
    incremental: bool
    """Whether only new exchanges were judged."""
    noisy: frozenset[tuple[str, str]]
    """The replica's noisy locations."""
    kept: _Kept


def _judge_store(
    store: Store,
    judge: Judge,
    config: Config,
    earlier: AnalysisRun | None,
    collector: Collector,
    on_judged: OnJudged | None,
    run: _Run,
) -> _Judged:
    """Judge `store` into `collector`, after the passes over every exchange."""
    endpoints = _templates(judge.spec)
    kept = Kept() if run.full else kept_from(store, endpoints, run.replayed)
    endpoints.learn_paths(store.paths(unread=bool(kept.covered)))
    judge, replica, fingerprint, tables = _over_every_exchange(
        store, judge, config, endpoints, run, kept
    )
    # Without kept notes, no refused replay is known to read as when it was judged.
    replays_hold = bool(kept.covered) or not run.replayed
    incremental = replays_hold and earlier is not None and earlier.fingerprint == fingerprint
    if on_judged is not None and incremental:
        for event in store.earlier_verdicts():
            on_judged(event)
    judge = replace(
        judge,
        noisy=replica.noisy,
        correlated=store.correlations(),
        replica_volatile=_by_endpoint(replica.volatile),
    )
    if not _in_workers(store, judge, endpoints, collector, run, incremental, on_judged):
        exchanges = read_exchanges(
            store, only_new=incremental, replayed=run.replayed, progress="judging"
        )
        left_out = collector.analysis.left_out
        for result in judge_stream(exchanges, judge, endpoints, left_out):
            collector.add(result)
            if on_judged is not None:
                on_judged(judged_event(result))
    announce("writing")  # the clusters finished, the tables written: no count to show
    return _Judged(fingerprint, incremental, replica.noisy, tables)


def _over_every_exchange(
    store: Store, judge: Judge, config: Config, endpoints: Endpoints, run: _Run, kept: Kept
) -> tuple[Judge, ReplicaNoise, str, _Kept]:
    """The passes over every exchange (or, from what the last run `kept`, over those new to
    it): `judge` given the legacy's evidence, the replica's noise, the run's fingerprint,
    and what to keep for the next run."""
    spec = judge.spec
    origins = target_origins(config, store.base_urls())
    legacy_print = legacy_fingerprint(endpoints)
    # The legacy's own evidence first: XML lists it served change how answers are located.
    kept_legacy = kept.legacy_for(legacy_print)
    legacy = _legacy_evidence(store, judge, endpoints, run, kept_legacy)
    unstable, repeated, lists = legacy.evidence()
    options = replace(judge.options, lists=lists)
    judge = replace(judge, origins=origins, options=options)
    replica_print = replica_fingerprint(legacy_print, config, spec, origins, options)
    tally = _replica_tally(store, judge, endpoints, run, kept.replica_for(replica_print))
    replica = tally.noise_of(NoiseThresholds()) if tally else ReplicaNoise(frozenset(), frozenset())
    fingerprint = analysis_fingerprint(
        config,
        spec,
        replica.noisy,
        unstable.locations,
        repeated,
        origins=origins,
        volatile=replica.volatile,
        lists=lists,
    )
    read, covered = run.scratch / "read.parquet", kept.covered
    unread_ids(store, read, every=not covered)
    counted = (tally, replica_print) if tally else None
    tables = kept_tables(
        endpoints,
        (legacy, legacy_print),
        counted,
        replayed=run.replayed,
        new_ids=read,
        covered=covered,
        spill=run.scratch,
    )
    judge = replace(judge, unstable=unstable, repeated=repeated)
    # Added to, not replaced: the ids when anything was kept, the tokens when the legacy's.
    appended = (EVIDENCE_IDS.name,) * bool(covered) + (EVIDENCE_TOKENS.name,) * bool(kept_legacy)
    return judge, replica, fingerprint, _Kept(tables, appended)


@dataclass(frozen=True)
class _Run:
    """Where the store is, where workers write, how many may judge, the refused replays."""

    path: Path | None
    segments: Path | None
    scratch: Path
    workers: int | None
    replayed: Mapping[str, Replayed]
    pool: Pool | None = None
    judged: bool = False
    """Whether each verdict is told: the parts keep theirs."""
    full: bool = False
    """Whether everything is read again, from no kept evidence."""


def _in_workers(
    store: Store,
    judge: Judge,
    endpoints: Endpoints,
    collector: Collector,
    run: _Run,
    only_new: bool,
    on_judged: OnJudged | None,
) -> bool:
    """Judge the store in worker processes, one run of ids each, into `collector`, telling
    `on_judged` each part's verdicts in id order; False (nothing done) when one process is
    to judge it."""
    parts = _parts(store, judge, endpoints, run, only_new=only_new, now=collector.now)
    judge_all = run.pool.judge if run.pool else judge_parts
    for gathered in judge_all(parts) if parts else ():
        absorb(collector, gathered)
        if on_judged is not None:
            assert gathered.judged is not None  # every part was asked to keep its verdicts
            for event in read_verdicts(gathered.judged):
                on_judged(event)
    return bool(parts)


def _parts(
    store: Store,
    judge: Judge,
    endpoints: Endpoints,
    run: _Run,
    *,
    only_new: bool,
    unread: bool = False,
    now: datetime | None = None,
) -> list[Part]:
    """The store cut into one part per worker; none when one process is to judge it."""
    if run.workers == 1:
        return []
    exchanges = exchange_count(store, only_new=only_new, unread=unread)
    count = run.pool.parts_for(exchanges) if run.pool else worker_count(run.workers, exchanges)
    if count < 2:
        return []
    cuts = id_cuts(store, count, only_new=only_new, unread=unread)
    # The workers read it now (each pass: evidence, replica tally, judging): this process
    # only waits, and what it read (the paths, the ids) need not stay while they run.
    store.release_memory()
    bounds = zip([None, *cuts], [*cuts, None], strict=True)
    now = now or datetime.now(UTC)
    where = (run.path, run.segments)
    return [
        Part(
            *where,
            within,
            judge,
            endpoints,
            run.replayed,
            only_new,
            run.scratch / f"{n}",
            now,
            judged=run.judged,
            unread=unread,
            among=store.segment_files,
            counted=wanted() and run.pool is None,
            pass_size=exchanges,
        )
        for n, within in enumerate(bounds)
    ]


def _legacy_evidence(
    store: Store, judge: Judge, endpoints: Endpoints, run: _Run, kept: LegacyTally | None
) -> LegacyTally:
    """The legacy's evidence over every exchange: `kept` and what the exchanges it does
    not cover show, or (None) read from every exchange."""
    unread = kept is not None
    # Read where the parts are judged, as a reduction merged in id order.
    parts = _parts(store, judge, endpoints, run, only_new=False, unread=unread)
    if parts:
        read = run.pool.evidence(parts) if run.pool else evidence_parts(parts)
    else:
        # Only the legacy's answers: the candidates' bodies are half of what a pass reads.
        read = LegacyTally()
        legacy = read_exchanges(
            store, unread=unread, targets=(PRIMARY_TARGET,), progress="evidence"
        )
        read.add(legacy, endpoints)
    if kept is None:
        return read
    kept.merge(read)  # what was kept was read before: earlier in the stream
    kept.tokens.served_before(kept_tokens_among(store, new_tokens(kept)))
    return kept


def _replica_tally(
    store: Store, judge: Judge, endpoints: Endpoints, run: _Run, kept: ReplicaTally | None
) -> ReplicaTally | None:
    """What every exchange a replica answered shows (`kept` and the exchanges it does not
    cover, or every exchange); None when no replica answered any."""
    if REPLICA_TARGET not in store.targets():
        return None
    unread = kept is not None
    parts = _parts(store, judge, endpoints, run, only_new=False, unread=unread)
    if parts:
        counted = run.pool.tally(parts) if run.pool else tally_parts(parts)
    else:
        counted = ReplicaTally()
        exchanges = read_exchanges(store, unread=unread, replayed=run.replayed, progress="replica")
        counted.add(replica_stream(exchanges, judge, endpoints))
    if kept is None:
        return counted
    kept.merge(counted)
    return kept


def endpoints_of(store: Store, spec: Spec | None) -> Endpoints:
    """How analysis names the endpoints of `store`: the spec's templates first, then what
    the traffic shows."""
    endpoints = _templates(spec)
    endpoints.learn_paths(store.paths())
    return endpoints


def _templates(spec: Spec | None) -> Endpoints:
    """Endpoints named by the spec's templates alone, before any traffic is learned."""
    bindings = (b for s in (spec.scenarios if spec else ()) for b in s.when.bindings)
    return Endpoints([(binding.method, binding.template) for binding in bindings])


def _by_endpoint(locations: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for endpoint, group in locations:
        found.setdefault(endpoint, set()).add(group)
        found.setdefault(ANY_ENDPOINT, set()).add(group)
    return {endpoint: frozenset(groups) for endpoint, groups in found.items()}
