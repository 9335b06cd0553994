"""`twinsight demo`: the bundled example run through every stage built so far.

It checks the example spec, starts both example services on ephemeral ports,
puts `twinsight proxy` in front of the legacy (writes mirrored, ids correlated),
plays the scripted session through it, classifies every stored exchange, and
shows what each service answered beside twinsight's verdict and the expected
one. It replays the captured session to fresh services with `twinsight
replay`'s engine. It ends with the cutover verdict and the report: what
`twinsight ready` and `twinsight report` say of the captured run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.table import Table

from twinsight.analysis.readiness_service import assess_store
from twinsight.analysis.service import analyze_store
from twinsight.config import Config, load_config
from twinsight.events import CaptureSummary
from twinsight.examples.orders.candidate.app import make_app as make_orders_candidate
from twinsight.examples.orders.legacy.app import make_app as make_orders_legacy
from twinsight.examples.orders.traffic import SESSION as ORDERS_SESSION
from twinsight.examples.orders.traffic import Step as OrdersStep
from twinsight.examples.orders.traffic import run_session as run_orders_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.examples.tasks.traffic import SESSION, Step, run_session
from twinsight.proxy.service import Address, run_capture, url_of
from twinsight.records import PRIMARY_TARGET, REPLICA_TARGET
from twinsight.replay.engine import ReplayOptions
from twinsight.replay.outgoing import ALL_TARGETS
from twinsight.replay.service import ReplayPlan, replay_traffic
from twinsight.report.files import write_report
from twinsight.report.gather import gather_report
from twinsight.report.terminal import capture_line, replay_lines
from twinsight.report.verdict import verdict_lines
from twinsight.spec import Spec, load_spec, spec_coverage
from twinsight.store import Store

__all__ = [
    "DEMO_REPORT",
    "DEMO_STORE",
    "capture_example_session",
    "replay_example_session",
    "run_demo",
]

DEMO_STORE = Path("reports") / "demo.duckdb"
DEMO_REPORT = Path("reports") / "demo"


def run_demo(console: Console, store: Path = DEMO_STORE) -> None:
    """Run the demo, printing to `console`; the captured exchanges stay in `store`."""
    spec_file = files() / "spec.yaml"
    coverage = spec_coverage(load_spec(spec_file))
    console.print(
        f"[bold]spec[/] {spec_file.name}: {len(coverage.scenarios)} scenarios, "
        f"{coverage.bound_lines} lines machine-checked, {coverage.unbound_lines} not"
    )
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    summary = asyncio.run(capture_example_session(store))
    console.print(f"[bold]capture[/] {capture_line(summary)}")
    spec = load_spec(spec_file)
    analysis = analyze_store(store, None, config=load_config(files() / "twinsight.toml"), spec=spec)
    counts = ", ".join(f"{k} {v}" for k, v in analysis.counts.items() if v)
    console.print(f"[bold]analysis[/] {counts}")
    console.print(_table(store))
    replayed = store.with_name("demo-replay.duckdb")
    replayed.unlink(missing_ok=True)
    console.print(
        f"[bold]replay[/] the captured session to fresh services (integer ids on the legacy, "
        f"uuids on the candidate), ids correlated, into {replayed}:"
    )
    for line in asyncio.run(replay_example_session(store, replayed)):
        console.print(f"  {line}")
    with Store.open(store) as stored:
        info = stored.info()
    console.print(
        f"[bold]store[/] {store}: {info.exchanges} exchanges; "
        f"try: twinsight store info --store {store}"
    )
    _verdict_and_report(console, store, spec)


def _verdict_and_report(console: Console, store: Path, spec: Spec) -> None:
    """What `twinsight ready` and `twinsight report` say of the demo's store."""
    config = load_config(files() / "twinsight.toml")
    verdict = assess_store(store, None, config=config, spec=spec)
    for line in verdict_lines(verdict)[:2]:
        console.print(f"[bold]ready[/] {line}")
    command = f"twinsight report --store {store} --out {DEMO_REPORT}"
    report = gather_report(store, None, verdict=verdict, config=config, spec=spec, command=command)
    for path in write_report(report, DEMO_REPORT, ["html", "md"]):
        console.print(f"[bold]report[/] {path}")
    example = files()
    console.print(
        f"  try: twinsight ready --store {store} --spec {example / 'spec.yaml'} "
        f"--config {example / 'twinsight.toml'} (exit 1: not ready)"
    )


@asynccontextmanager
async def _serving(apps: Mapping[str, web.Application]) -> AsyncIterator[dict[str, str]]:
    """Each of `apps` on an ephemeral port of 127.0.0.1 while in use: name -> URL."""
    async with contextlib.AsyncExitStack() as running:
        urls = {}
        for name, app in apps.items():
            runner, port = await start(app)
            running.push_async_callback(runner.cleanup)
            urls[name] = f"http://127.0.0.1:{port}"
        yield urls


def _example_apps(
    *, noisy: bool = False, faithful: bool = False, replica: bool = False
) -> dict[str, web.Application]:
    """Fresh legacy and candidate example services (and a second legacy, the replica)."""
    apps = {"legacy": make_legacy(noisy=noisy)}
    if replica:
        apps[REPLICA_TARGET] = make_legacy(noisy=noisy)
    apps["candidate"] = make_candidate(noisy=noisy, faithful=faithful)
    return apps


async def capture_example_session(
    store: Path,
    steps: tuple[Step, ...] = SESSION,
    *,
    noisy: bool = False,
    faithful: bool = False,
    replica: bool = False,
) -> CaptureSummary:
    """Play `steps` (the scripted session) through `twinsight proxy` (writes mirrored, ids
    correlated) in front of both example services, started `noisy` / `faithful` or not,
    and mirrored to a replica of the legacy too if `replica`."""
    token = make_token("demo")
    apps = _example_apps(noisy=noisy, faithful=faithful, replica=replica)
    return await _capture(store, apps, lambda url: run_session(url, token, steps))


async def capture_orders_session(
    store: Path, steps: tuple[OrdersStep, ...] = ORDERS_SESSION
) -> CaptureSummary:
    """Play the XML example's session (`examples/orders`) through `twinsight proxy` (writes
    mirrored, ids correlated) in front of its legacy and candidate on ephemeral ports."""
    apps = {"legacy": make_orders_legacy(), "candidate": make_orders_candidate()}
    return await _capture(store, apps, lambda url: run_orders_session(url, steps))


async def _capture(
    store: Path, apps: Mapping[str, web.Application], play: Callable[[str], Awaitable[object]]
) -> CaptureSummary:
    async with _serving(apps) as targets:
        config = Config.model_validate(
            {
                "targets": targets,
                "store": {"path": store, "flush_interval_s": 0.2},
                "capture": {"mirror_writes": True},
            }
        )
        return await _through_proxy(config, play)


async def _through_proxy(
    config: Config, play: Callable[[str], Awaitable[object]]
) -> CaptureSummary:
    stop = asyncio.Event()
    bound: asyncio.Future[Address] = asyncio.get_running_loop().create_future()

    def listening(address: Address, admin: Address | None) -> None:
        bound.set_result(address)

    capture = asyncio.ensure_future(
        run_capture("proxy", config, ("127.0.0.1", 0), stop=stop, ready=listening)
    )
    try:
        first: set[asyncio.Future[Any]] = {capture, bound}
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if capture.done():
            return capture.result()
        await play(url_of(bound.result()))
    finally:
        stop.set()
        summary = await capture
    return summary


async def replay_example_session(store: Path, out: Path) -> list[str]:
    """Replay the session captured in `store` to fresh example services; the summary lines."""
    # The store holds only a keyed hash of the captured token: the replay brings its own.
    headers = {ALL_TARGETS: [("Authorization", f"Bearer {make_token('demo')}")]}
    plan = ReplayPlan(ReplayOptions(run="demo", headers=headers), sources=(store,))
    async with _serving(_example_apps()) as targets:
        config = Config.model_validate(
            {"targets": targets, "store": {"path": out, "flush_interval_s": 0.2}}
        )
        summary, _ = await replay_traffic(config, plan)
    return replay_lines(summary)


def _table(store: Path) -> Table:
    with Store.open(store) as stored:
        rows = stored.outcomes()
        verdicts = {v.id: v.classification for v in stored.earlier_verdicts()}
    table = Table(title="The scripted session through twinsight proxy, as stored and classified")
    for column in (
        "request (as the client sent it)",
        "legacy",
        "candidate",
        "twinsight",
        "expected",
    ):
        table.add_column(column)
    for row, step in zip(rows, SESSION, strict=False):
        verdict = verdicts.get(row.id, "not classified")
        legacy = row.statuses.get(PRIMARY_TARGET)
        candidate = row.statuses.get("candidate") or row.errors.get("candidate")
        expected = step.expect + (f" ({step.note})" if step.note else "")
        shown = verdict if verdict == step.expect else f"[red]{verdict}[/]"
        table.add_row(f"{row.method} {row.request}", str(legacy), str(candidate), shown, expected)
    return table
