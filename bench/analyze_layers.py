"""Benchmark: where one process's analysis time goes, layer by layer, per exchange.

    .venv/bin/python bench/analyze_layers.py [--exchanges 50000,200000] [--shape agreeing]

On bench/analyze.py's synthetic stores, each layer of `twinsight analyze` is timed alone
in this process, in chunks of exchanges whose input was made beforehand (untimed): reading
rows out of DuckDB (`Store.exchanges`), building `Stored` (`stored_of`), the legacy's
evidence (`LegacyTally.add`), the spec's scenario checks alone (`check_scenarios` with a
memo, as the judge calls them), the diff alone (`diff_responses`), the judge whole
(`judge_stream`), gathering rows (`Collector.add`) and `Collector.finish` (clusters).
Beside them `analyze_store` end to end in one process on a copy of the same store, each
layer's share of it, and the floor: the exchanges/s one process would reach if the judge
cost nothing (reading, `Stored`, evidence, checks and gathering still paid). Shares and the
floor are in CPU time (DuckDB's threads included), which other work on a shared machine
disturbs less than wall time; the wall times are printed beside them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TypeVar

from twinsight.analysis.collect import Collector
from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.judge import Judge
from twinsight.analysis.load import Stored, rules_from, stored_of
from twinsight.analysis.origins import neutral_origin, target_origins
from twinsight.analysis.pipeline import LegacyTally, judge_stream
from twinsight.analysis.scenarios import check_scenarios
from twinsight.analysis.service import endpoints_of
from twinsight.config import Config, load_config
from twinsight.examples.tasks import files
from twinsight.records import PRIMARY_TARGET
from twinsight.spec import CheckMemo, Spec, load_spec, spec_reads
from twinsight.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from analyze import SHAPES, analyse, build_store

T = TypeVar("T")
CHUNK = 1_000
"""Exchanges per timed chunk: enough to time; few, since 10,000 alive at once made each layer
slower (the collector of cycles walks them) than the stream end to end, by ~50 µs in all."""


@dataclass
class Clock:
    """Seconds spent in each layer, by name: CPU (this process's, DuckDB's threads too: the
    figure a shared machine disturbs least) and wall time."""

    cpu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """The block's CPU and wall time added to `name`."""
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.cpu[name] += time.process_time() - cpu
        self.wall[name] += time.perf_counter() - wall


END = "analyze_store end to end"


def end_to_end(store: Path) -> Clock:
    """`analyze_store` of `store` in one process, timed (run in a process of its own)."""
    clock = Clock()
    with clock.timed(END):
        analyse(store, 1)
    return clock


def chunks(clock: Clock, name: str, rows: Iterator[T]) -> Iterator[list[T]]:
    """`rows` in lists of CHUNK, the time taken to pull them added to `name`."""
    while True:
        with clock.timed(name):
            chunk = list(islice(rows, CHUNK))
        if not chunk:
            return
        yield chunk


def messages(judge: Judge, stored: Stored) -> tuple[Message, Message]:
    """The legacy's and the candidate's answers as the judge compares them."""
    legacy = neutral_origin(stored.answers[PRIMARY_TARGET], judge.origins.get(PRIMARY_TARGET, ()))
    candidate = neutral_origin(stored.answers["candidate"], judge.origins.get("candidate", ()))
    return legacy, candidate


def evidence_pass(clock: Clock, store: Store, judge: Judge, spec: Spec, config: Config) -> Judge:
    """The first pass (rows, `Stored`, the legacy's evidence), timed; the judge it makes."""
    endpoints = endpoints_of(store, spec)
    tally = LegacyTally()
    for rows in chunks(clock, "read rows", store.exchanges()):
        with clock.timed("build Stored"):
            found = [stored_of(row) for row in rows]
        with clock.timed("legacy evidence"):
            tally.add(found, endpoints)
    evidence = tally.evidence()
    return replace(
        judge,
        origins=target_origins(config, store.base_urls()),
        options=replace(judge.options, lists=evidence.lists),
        correlated=store.correlations(),
        unstable=evidence.unstable,
        repeated=evidence.repeated,
    )


def judging_pass(clock: Clock, store: Store, judge: Judge, spec: Spec, folder: Path) -> None:
    """The second pass: each layer of judging timed alone on the same chunks."""
    endpoints = endpoints_of(store, spec)
    reads, memo = spec_reads(spec.scenarios), CheckMemo()
    collector = Collector(spill=folder)
    for rows in chunks(clock, "read rows", store.exchanges()):
        with clock.timed("build Stored"):
            found = [stored_of(row) for row in rows]
        pairs = [(s.request, *messages(judge, s)) for s in found]
        with clock.timed("scenario checks alone"):
            for request, legacy, candidate in pairs:
                check_scenarios(spec, request, legacy, candidate, reads, memo)
        with clock.timed("diff alone"):
            for _, legacy, candidate in pairs:
                diff_responses(legacy, candidate, judge.options)
        with clock.timed("judge whole"):
            results = list(judge_stream(found, judge, endpoints))
        with clock.timed("Collector.add"):
            for result in results:
                collector.add(result)
    with clock.timed("Collector.finish"):
        collector.finish(propose_volatile=True)


def layers(store: Path, folder: Path) -> Clock:
    """Every layer of one analysis of `store`, timed alone."""
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    clock = Clock()
    folder.mkdir()  # where the collector spills its rows, as analyze's does
    with Store.open(store, None) as opened:
        judge = Judge(spec=spec, rules=rules_from(config.normalize, spec))
        judge = evidence_pass(clock, opened, judge, spec, config)
        judging_pass(clock, opened, judge, spec, folder)
    return clock


def measure(count: int, shape: str, folder: Path) -> Clock:
    """The layers and the end-to-end time of `analyze_store` in one process, on a fresh store."""
    store = folder / f"{count}.duckdb"
    print(f"writing {count:,} exchanges ({shape}) ...", file=sys.stderr)
    build_store(store, count, random.Random(1), SHAPES[shape])
    copy = folder / f"{count}-copy.duckdb"
    shutil.copy(store, copy)
    print("analysing end to end ...", file=sys.stderr)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:  # a process of its own
        ended = pool.submit(end_to_end, copy).result()
    print("timing each layer ...", file=sys.stderr)
    clock = layers(store, folder / f"{count}-spill")
    clock.cpu[END], clock.wall[END] = ended.cpu[END], ended.wall[END]
    store.unlink()
    copy.unlink()
    return clock


ORDER = (
    "read rows",
    "build Stored",
    "legacy evidence",
    "scenario checks alone",
    "diff alone",
    "judge whole",
    "Collector.add",
    "Collector.finish",
)
FLOOR = (
    "read rows",
    "build Stored",
    "legacy evidence",
    "scenario checks alone",
    "Collector.add",
    "Collector.finish",
)
"""What one process pays even if the judge cost nothing (rows and `Stored` in both passes)."""
PARTS = frozenset(ORDER) - {"scenario checks alone", "diff alone"}
"""The layers that add up: the checks and the diff are inside the judge."""


Spent = Callable[[dict[str, float]], float]
"""A row's seconds, out of a clock's seconds by layer."""


def _layer(name: str) -> Spent:
    return lambda spent: spent[name]


def table(counts: Sequence[int], found: Sequence[Clock]) -> str:
    """The layers in CPU µs per exchange, as a share of the end-to-end CPU, and in wall µs."""
    head = "| layer (both passes) |" + "".join(
        f" {n:,}: CPU µs/exch | share | wall µs/exch |" for n in counts
    )
    lines = [head, "|---|" + "---:|---:|---:|" * len(counts)]
    derived: dict[str, Spent] = {
        "judge minus checks and diff (rules, inference, classify)": lambda c: (
            c["judge whole"] - c["scenario checks alone"] - c["diff alone"]
        ),
        "rest (end to end minus the layers: endpoints, writing tables ...)": lambda c: (
            c[END] - sum(c[k] for k in PARTS)
        ),
    }
    rows = {name: _layer(name) for name in ORDER} | derived
    rows[f"**{END}**"] = lambda c: c[END]
    for name, of in rows.items():
        cells = "".join(
            f" {of(c.cpu) / n * 1e6:.1f} | {of(c.cpu) / c.cpu[END]:.0%} |"
            f" {of(c.wall) / n * 1e6:.1f} |"
            for n, c in zip(counts, found, strict=True)
        )
        lines.append(f"| {name} |{cells}")
    return "\n".join(lines)


def floors(counts: Sequence[int], found: Sequence[Clock]) -> str:
    """The throughput one process reaches end to end, and would with a judge costing nothing
    (in CPU time: what one free core would do)."""
    lines = []
    for n, clock in zip(counts, found, strict=True):
        end, floor = clock.cpu[END], sum(clock.cpu[k] for k in FLOOR)
        lines.append(
            f"{n:,} exchanges: end to end {n / clock.wall[END]:,.0f}/s of wall time, "
            f"{n / end:,.0f}/s of CPU ({end / n * 1e6:.1f} µs each); judge free "
            f"({' + '.join(FLOOR)}): {floor / n * 1e6:.1f} µs each = {n / floor:,.0f}/s"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", default="50000,200000", help="store sizes, e.g. 50000")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="agreeing")
    args = parser.parse_args()
    counts = [int(n) for n in args.exchanges.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="twinsight-layers-bench-"))
    try:
        load = os.getloadavg()[0]
        found = [measure(n, args.shape, folder) for n in counts]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    end = os.getloadavg()[0]
    print(f"shape {args.shape}; load average {load:.2f} at the start, {end:.2f} at the end\n")
    print(table(counts, found))
    print()
    print(floors(counts, found))


if __name__ == "__main__":
    main()
