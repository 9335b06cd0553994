"""Benchmark: how right twinsight's zero-configuration verdicts are on labelled traffic.

    .venv/bin/python bench/accuracy.py [--rounds N]

Each case starts the example's legacy and candidate on ephemeral ports, plays its
scripted session through a real `twinsight proxy` (writes mirrored, ids correlated)
into a fresh store, and runs `analyze_store` on it. Every step of the session carries
the classification it should end in (`traffic.py`, ground truth in DIVERGENCES.md):

- recall: divergent requests (label not match/noise) that twinsight flagged (its
  classification not match/noise);
- false alarms: agreeing requests (label match/noise) that twinsight flagged;
- clusters per cause: real (not inferred-noise) clusters over the distinct planted
  divergences the session exercised (steps with one label and note are one cause).
  Only `unexplained` and `regression` verdicts are clustered, so a perfect run sits
  below 1: what pushes it up is noise left unexplained, or one cause split in several.

Cases: the bundled example and its `--noisy` variant, each with zero config (no
`twinsight.toml`, no replica), with and without the spec; the example with its
`twinsight.toml` is the configured baseline. The real-service case (`kinto_case.py`):
Kinto 14.8.0 against 26.5.0 from PyPI, zero config, no spec; its labels come from
playing the workload directly to several fresh instances of each version
(`labels.py`), its causes are the divergent locations. It is skipped, with one line
saying why, when the versions cannot be installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinsight.analysis.service import analyze_store
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import NOISY_SESSION, SESSION, Step
from twinsight.spec import Spec, load_spec
from twinsight.store import Store

sys.path.insert(0, str(Path(__file__).parent))

import kinto_case
from labels import Label

AGREE = frozenset({"match", "noise", "agreeing"})
"""Labels (and verdicts) of requests on which the two versions agree in meaning."""
COARSE = frozenset({"agreeing", "divergent"})
"""Labels that say only whether a request should be flagged, not as what (real service)."""
KINTO = "kinto 14.8.0 -> 26.5.0"


@dataclass(frozen=True)
class Judged:
    """One step of a session: its label and twinsight's verdict."""

    number: int  # from 1, as DIVERGENCES.md counts steps
    request: str
    expected: str
    causes: frozenset[str]  # the real causes it exercises; none when the versions agree
    got: str
    reason: str


@dataclass
class Score:
    """What one configuration scored over one or more runs of a labelled session."""

    divergent: int = 0
    caught: int = 0
    agreeing: int = 0
    alarms: int = 0
    clusters: int = 0
    causes: int = 0
    wrong: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    """(step, request, expected, got) -> runs in which that step ended so."""
    reasons: dict[tuple[int, str, str, str], str] = field(default_factory=dict)
    """The reason given the first time (values differ from run to run)."""

    @property
    def recall(self) -> float:
        """Divergent requests flagged, of all divergent requests."""
        return self.caught / self.divergent if self.divergent else 1.0

    @property
    def false_alarms(self) -> float:
        """Agreeing requests flagged, of all agreeing requests."""
        return self.alarms / self.agreeing if self.agreeing else 0.0

    @property
    def clusters_per_cause(self) -> float:
        """Real clusters per planted divergence exercised."""
        return self.clusters / self.causes if self.causes else 0.0


def cause_of(step: Step) -> frozenset[str]:
    """The planted divergence a step exercises (its label and note), if any."""
    return frozenset() if step.expect in AGREE else frozenset({f"{step.expect}: {step.note}"})


def _wrong(one: Judged) -> bool:
    if one.expected in COARSE:
        return (one.got in AGREE) != (one.expected in AGREE)
    return one.got != one.expected


def score(judged: Sequence[Judged], real_clusters: int, into: Score | None = None) -> Score:
    """Add one run's verdicts and its count of real clusters to `into` (a new Score)."""
    total = into if into is not None else Score()
    for one in judged:
        flagged = one.got not in AGREE
        if one.expected in AGREE:
            total.agreeing += 1
            total.alarms += flagged
        else:
            total.divergent += 1
            total.caught += flagged
        if _wrong(one):
            key = (one.number, one.request, one.expected, one.got)
            total.wrong[key] += 1
            total.reasons.setdefault(key, one.reason)
    total.causes += len(set().union(*(one.causes for one in judged)))
    total.clusters += real_clusters
    return total


@dataclass(frozen=True)
class Case:
    """A labelled session against one pair of example services."""

    name: str
    steps: tuple[Step, ...]
    noisy: bool


CASES = (Case("example", SESSION, noisy=False), Case("example --noisy", NOISY_SESSION, True))


@dataclass(frozen=True)
class Setup:
    """How analysis is configured for one row of the table."""

    name: str
    config: Config
    spec: Spec | None
    cases: tuple[str, ...]  # the case names it runs on


def setups() -> list[Setup]:
    """The configured baseline, then zero config with and without the spec."""
    spec = load_spec(files() / "spec.yaml")
    configured = load_config(files() / "twinsight.toml")
    return [
        Setup("twinsight.toml + spec", configured, spec, ("example",)),
        Setup("zero config + spec", Config(), spec, tuple(c.name for c in CASES)),
        Setup("zero config, no spec", Config(), None, tuple(c.name for c in CASES)),
    ]


async def capture(case: Case, store: Path) -> None:
    """Play the case's session through `twinsight proxy` in front of fresh services."""
    await capture_example_session(store, case.steps, noisy=case.noisy)


def judge(store: Path, case: Case, setup: Setup) -> tuple[list[Judged], int]:
    """Analyse `store` as `setup` says: each step's verdict, and the real clusters."""
    analysis = analyze_store(store, None, config=setup.config, spec=setup.spec, full=True)
    with Store.open(store) as stored:
        verdicts = list(stored.earlier_verdicts())
    if len(verdicts) != len(case.steps):
        raise RuntimeError(f"{case.name}: {len(verdicts)} verdicts for {len(case.steps)} steps")
    judged = [
        Judged(
            number,
            f"{v.method} {v.path}" + (f"?{v.query}" if v.query else ""),
            step.expect,
            cause_of(step),
            v.classification,
            v.reason,
        )
        for number, (step, v) in enumerate(zip(case.steps, verdicts, strict=True), start=1)
    ]
    return judged, sum(1 for c in analysis.clusters if not c.noise)


def kinto_judged(labels: Sequence[Label], store: Path) -> tuple[list[Judged], int]:
    """The real-service case captured into `store` and judged against its labels."""
    kinto_case.capture(store)
    verdicts, clusters = kinto_case.judge(store)
    judged = [
        Judged(
            number,
            verdict.request,
            "divergent" if label.divergent else "agreeing",
            label.causes,
            verdict.classification,
            verdict.reason,
        )
        for number, (label, verdict) in enumerate(zip(labels, verdicts, strict=True), start=1)
    ]
    return judged, clusters


def measure_kinto(rounds: int, scratch: Path) -> dict[tuple[str, str], Score]:
    """The real-service case `rounds` times (nothing when its versions cannot be installed)."""
    missing = kinto_case.installed()
    if missing:
        print(f"skipping the {KINTO} case: {missing}")
        return {}
    labels = kinto_case.labels()
    causes = set().union(*(label.causes for label in labels))
    divergent = sum(label.divergent for label in labels)
    print(
        f"{KINTO}: {len(labels)} requests, {divergent} divergent, "
        f"{len(labels) - divergent} agreeing, {len(causes)} causes "
        f"(labelled from {kinto_case.LABEL_RUNS} fresh instances of each version)"
    )
    total = Score()
    for number in range(rounds):
        judged, clusters = kinto_judged(labels, scratch / f"kinto-{number}.duckdb")
        total = score(judged, clusters, total)
    return {(KINTO, "zero config, no spec"): total}


def measure(rounds: int) -> dict[tuple[str, str], Score]:
    """Every case captured `rounds` times, each capture analysed by every setup."""
    scores: dict[tuple[str, str], Score] = {}
    with tempfile.TemporaryDirectory(prefix="twinsight-accuracy-") as scratch:
        for number in range(rounds):
            for case in CASES:
                store = Path(scratch) / f"{case.name.replace(' ', '')}-{number}.duckdb"
                asyncio.run(capture(case, store))
                for setup in setups():
                    if case.name in setup.cases:
                        judged, clusters = judge(store, case, setup)
                        key = (case.name, setup.name)
                        scores[key] = score(judged, clusters, scores.get(key))
        scores.update(measure_kinto(rounds, Path(scratch)))
    return scores


def table(scores: dict[tuple[str, str], Score], rounds: int) -> list[str]:
    """The figures as a markdown table."""
    lines = [
        f"| case | analysis | recall | false alarms | clusters / cause | mislabelled "
        f"(of {rounds} run(s)) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for (case, setup), s in scores.items():
        lines.append(
            f"| {case} | {setup} | {s.recall:.2f} ({s.caught}/{s.divergent}) "
            f"| {s.false_alarms:.1%} ({s.alarms}/{s.agreeing}) "
            f"| {s.clusters_per_cause:.2f} ({s.clusters}/{s.causes}) "
            f"| {sum(s.wrong.values())} |"
        )
    return lines


def mislabelled(scores: dict[tuple[str, str], Score]) -> Iterable[str]:
    """Per row, every step that did not end in its label: what a developer fixes next."""
    for (case, setup), s in scores.items():
        if not s.wrong:
            continue
        yield f"\n#### {case}, {setup}: steps not classified as labelled\n"
        yield "| step | request | expected | got | reason | runs |"
        yield "|---:|---|---|---|---|---:|"
        for (number, request, expected, got), runs in sorted(s.wrong.items()):
            shown = s.reasons[(number, request, expected, got)].replace("|", "\\|")[:160]
            yield f"| {number} | `{request}` | {expected} | {got} | {shown} | {runs} |"


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the table, then the mislabelled steps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="captures per case (default 1)")
    args: Any = parser.parse_args(argv)
    scores = measure(args.rounds)
    print("\n".join(table(scores, args.rounds)))
    print("\n".join(mislabelled(scores)))
    print("\ndone when (zero config): recall >= 0.95, false alarms <= 2 %, <= 1.2 clusters/cause")


if __name__ == "__main__":
    main()
