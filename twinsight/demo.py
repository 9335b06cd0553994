"""`twinsight demo`: the bundled example run through every stage built so far.

It starts both example services on ephemeral ports, checks the example spec,
plays the scripted session against both and shows what each answered, then says
which stages are not built yet.
"""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.table import Table

from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.examples.tasks.traffic import Outcome, run_session
from twinsight.spec import load_spec, spec_coverage

__all__ = ["NOT_BUILT", "run_demo"]

NOT_BUILT = (
    "capture: `twinsight proxy` / `twinsight sink` writing exchanges to the store",
    "replay: `twinsight import` and `twinsight replay`",
    "analysis: `twinsight analyze` (diff, noise, classification, clusters)",
    "report: readiness verdict and HTML/Markdown reports",
)


def run_demo(console: Console) -> None:
    """Run the demo, printing to `console`."""
    spec_file = files() / "spec.yaml"
    coverage = spec_coverage(load_spec(spec_file))
    console.print(
        f"[bold]spec[/] {spec_file.name}: {len(coverage.scenarios)} scenarios, "
        f"{coverage.bound_lines} lines machine-checked, {coverage.unbound_lines} not"
    )
    legacy, candidate = asyncio.run(_both_sessions())
    console.print(_table(legacy, candidate))
    console.print("[bold]not built yet[/] (see the open issues):")
    for stage in NOT_BUILT:
        console.print(f"  - {stage}")


async def _both_sessions() -> tuple[list[Outcome], list[Outcome]]:
    legacy_runner, legacy_port = await start(make_legacy())
    candidate_runner, candidate_port = await start(make_candidate())
    try:
        token = make_token("demo")
        return await asyncio.gather(
            run_session(f"http://127.0.0.1:{legacy_port}", token),
            run_session(f"http://127.0.0.1:{candidate_port}", token),
        )
    finally:
        await legacy_runner.cleanup()
        await candidate_runner.cleanup()


def _table(legacy: list[Outcome], candidate: list[Outcome]) -> Table:
    table = Table(title="The scripted session against both services")
    for column in ("request", "legacy", "candidate", "expected classification"):
        table.add_column(column)
    for left, right in zip(legacy, candidate, strict=True):
        step = left.step
        request = f"{step.method} {step.path}"
        expected = step.expect + (f" ({step.note})" if step.note else "")
        table.add_row(request, str(left.status), str(right.status), expected)
    return table
