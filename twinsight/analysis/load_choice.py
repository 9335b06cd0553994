"""Which load run `ready` judges the constraints on: the latest against the targets judged.

Pure: the store's load runs, the origins each judged target was reached at, and the
clock in; the run chosen (its targets named as the store names them) and the words
that say which run it was, or why none fits. A run against other URLs measured other
services: it is never used for these, and a run older than the newest traffic is
used but named as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from twinsight.records import PRIMARY_TARGET
from twinsight.store.loads import LoadRow, LoadRun

from .origins import origins_of

__all__ = ["NO_RUN", "Choice", "ago", "choose_run", "renamed"]

CANDIDATE = "candidate"
"""The name `twinsight load` stores the candidate's measures under."""
NO_RUN = "no load run against these targets (run twinsight load)"


@dataclass(frozen=True)
class Choice:
    """The run chosen (None: none fits), load target -> store target, and what to say."""

    run: LoadRun | None
    names: Mapping[str, str]
    note: str


def choose_run(
    runs: Sequence[LoadRun],
    origins: Mapping[str, Sequence[str]],
    candidate: str,
    *,
    newest_traffic: datetime | None,
    now: datetime,
) -> Choice:
    """The latest of `runs` (latest first) whose targets are the legacy's and `candidate`'s
    origins; a target the store knows no URL of is taken on the run's word for it."""
    judged = (PRIMARY_TARGET, candidate)
    unknown = [t for t in judged if not origins.get(t)]
    for run in runs:
        names = _matched(run, origins, judged)
        if names is None:
            continue
        note = f"the load run of {_when(run.started_at, now)}"
        if newest_traffic is not None and run.started_at < newest_traffic:
            note += f", older than the newest traffic ({_when(newest_traffic, now)})"
        if unknown:
            note += f"; the store records no URL of {' or '.join(unknown)} to check it against"
        return Choice(run, names, note)
    if not runs:
        return Choice(None, {}, NO_RUN)
    latest = runs[0]
    against = ", ".join(f"{t} {url}" for t, url in sorted(latest.targets.items()))
    note = f"{NO_RUN}; the latest, of {_when(latest.started_at, now)}, was against {against}"
    return Choice(None, {}, note)


def _matched(
    run: LoadRun, origins: Mapping[str, Sequence[str]], judged: Sequence[str]
) -> dict[str, str] | None:
    """load target -> store target when each judged target is one of the run's."""
    names: dict[str, str] = {}
    for wanted in judged:
        found = next((t for t in _candidates(run, wanted) if _fits(run, t, wanted, origins)), None)
        if found is None or found in names:
            return None
        names[found] = wanted
    return names


def _candidates(run: LoadRun, wanted: str) -> list[str]:
    # The run's target of the same name first: two targets at one URL go by their names.
    return sorted(run.targets, key=lambda t: (t != wanted, t))


def _fits(run: LoadRun, target: str, wanted: str, origins: Mapping[str, Sequence[str]]) -> bool:
    known = set(origins.get(wanted, ()))
    if known:
        return bool(known & set(origins_of(run.targets[target])))
    # No URL to check: twinsight load names its targets legacy and candidate.
    return target == (PRIMARY_TARGET if wanted == PRIMARY_TARGET else CANDIDATE)


def renamed(rows: Sequence[LoadRow], names: Mapping[str, str]) -> list[LoadRow]:
    """The chosen run's rows of the judged targets, named as the store names them."""
    return [row._replace(target=names[row.target]) for row in rows if row.target in names]


def _when(moment: datetime, now: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({ago(now - moment)})"


def ago(elapsed: timedelta) -> str:
    """'42 s ago', '12 min ago', '5 h ago', '3 days ago'."""
    seconds = max(0.0, elapsed.total_seconds())
    for size, unit in ((86_400 * 2, 86_400), (5_400, 3_600), (90, 60)):
        if seconds >= size:
            name = {86_400: "days", 3_600: "h", 60: "min"}[unit]
            return f"{seconds / unit:.0f} {name} ago"
    return f"{seconds:.0f} s ago"
