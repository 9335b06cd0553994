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
`twinsight.toml`, no replica), with and without the spec, and each mirrored to a
replica of the legacy too (no `twinsight.toml`, with the spec); the example with its
`twinsight.toml` is the configured baseline. The XML example (`examples/orders`, SOAP
1.1, ground truth in its DIVERGENCES.md) with zero config and no spec. The real-service
case (`kinto_case.py`): Kinto 14.8.0 against 26.5.0 from PyPI, with zero config and no
spec, then with a second legacy instance as the replica; its labels come from
playing the workload directly to several fresh instances of each version
(`labels.py`), its causes are the divergent locations. It is skipped, with one line
saying why, when the versions cannot be installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twinsight.analysis.service import analyze_store
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session, capture_orders_session
from twinsight.examples.orders.traffic import SESSION as ORDERS_SESSION
from twinsight.examples.orders.traffic import Step as OrdersStep
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import NOISY_SESSION, SESSION, Step
from twinsight.spec import Spec, load_spec
from twinsight.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from kinto_case import measure_kinto
from scoring import AGREE, Judged, Score, mislabelled, score, table


def cause_of(step: Step | OrdersStep) -> frozenset[str]:
    """The planted divergence a step exercises (its label and note), if any."""
    return frozenset() if step.expect in AGREE else frozenset({f"{step.expect}: {step.note}"})


@dataclass(frozen=True)
class Case:
    """A labelled session against one pair of example services (and a replica of the
    legacy, if `replica`); `xml`: the orders example (SOAP), else the tasks one."""

    name: str
    steps: tuple[Step | OrdersStep, ...]
    noisy: bool = False
    replica: bool = False
    xml: bool = False


CASES = (
    Case("example", SESSION),
    Case("example --noisy", NOISY_SESSION, noisy=True),
    Case("example + replica", SESSION, replica=True),
    Case("example --noisy + replica", NOISY_SESSION, noisy=True, replica=True),
    Case("xml example", ORDERS_SESSION, xml=True),
)
ZERO_CONFIG = tuple(c.name for c in CASES if not (c.replica or c.xml))
REPLICA = tuple(c.name for c in CASES if c.replica)


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
        Setup("zero config + spec", Config(), spec, ZERO_CONFIG),
        Setup("zero config, no spec", Config(), None, (*ZERO_CONFIG, "xml example")),
        Setup("replica, no config + spec", Config(), spec, REPLICA),
    ]


async def capture(case: Case, store: Path) -> None:
    """Play the case's session through `twinsight proxy` in front of fresh services."""
    if case.xml:
        await capture_orders_session(store, case.steps)  # type: ignore[arg-type]
    else:
        steps: Any = case.steps
        await capture_example_session(store, steps, noisy=case.noisy, replica=case.replica)


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


def measure(rounds: int, notes: list[str]) -> dict[tuple[str, str], Score]:
    """Every case captured `rounds` times, each capture analysed by every setup; what
    the real-service case says beside the table goes to `notes`."""
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
        scores.update(measure_kinto(rounds, Path(scratch), notes))
    return scores


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the table, then the mislabelled steps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="captures per case (default 1)")
    args: Any = parser.parse_args(argv)
    notes: list[str] = []
    scores = measure(args.rounds, notes)
    print("\n".join(table(scores, args.rounds)))
    print("\n".join(notes))
    print("\n".join(mislabelled(scores)))
    print("\ndone when (zero config): recall >= 0.95, false alarms <= 2 %, <= 1.2 clusters/cause")


if __name__ == "__main__":
    main()
