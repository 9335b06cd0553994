"""A misbehaving legacy gives the client a clean 502 or 504 within the timeout, and is recorded.

The legacy is the one target the client depends on: when it is down, resets,
or talks nonsense the client gets 502 Bad Gateway; when it is slower than the
proxy's legacy timeout, 504 Gateway Timeout, within that timeout. Either way the
exchange is stored with the legacy's error kind and the candidate's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .faulty import Fault
from .phases import Plan, Run, first_traceback, p99_bound, run_fault
from .table import FaultTable, Row

LEGACY_TIMEOUT_S = 0.5
WAITED_MS = 1000 * LEGACY_TIMEOUT_S
# Where no timeout is part of the fault, one a loaded machine never reaches by accident.
PATIENT_TIMEOUT_S = 5.0
# A client that waits out a legacy timeout: enough in flight to keep each run short.
WAITING_CONCURRENCY = 50


def in_time(waited_ms: float) -> Callable[[Row], bool]:
    """Whether a row's client p99 is near the baseline's, once `waited_ms` is allowed for."""
    return lambda fault_row: fault_row.p99_ms < p99_bound(fault_row, waited_ms)


def assert_clean_failure(
    run: Run, status: int, waited_ms: float = 0.0, allowed: set[int] | None = None
) -> None:
    """Every client request got `status` (or one of `allowed`) in time; no traceback."""
    assert run.exit_code == 0, run.log
    assert "Traceback" not in run.log, first_traceback(run.log)
    for attempt in run.attempts:
        assert set(attempt.faulty.statuses) <= (allowed or {status}), attempt.faulty.statuses
    bound = p99_bound(run.row, waited_ms)
    assert run.row.p99_ms < bound, f"client p99 {run.row.p99_ms:.0f} ms >= {bound:.0f} ms"


def assert_kept(run: Run, legacy: str) -> None:
    """Every served request stored: the legacy's error kind and the candidate's answer."""
    for attempt in run.attempts:
        served, outcomes = attempt.served, attempt.capture.outcomes
        assert served == len(attempt.faulty.statuses)
        assert (attempt.capture.exchanges, attempt.dropped) == (served, 0)
        assert outcomes == {"legacy": {legacy: served}, "candidate": {"200": served}}


async def legacy_run(
    tmp_path: Path,
    table: FaultTable,
    label: str,
    plan: Plan,
    waited_ms: float = 0.0,
) -> Run:
    """A baseline-then-fault run of `plan` (a fault on the legacy); `waited_ms`: its timeout."""
    timeout = waited_ms / 1000 if waited_ms else PATIENT_TIMEOUT_S
    return await run_fault(
        tmp_path, table, label, plan, fair=in_time(waited_ms), legacy_timeout_s=timeout
    )


BAD_GATEWAY = [
    pytest.param("legacy down", "refuse", "refused", id="down"),
    pytest.param("legacy resets before answering", "reset", "reset", id="reset"),
    pytest.param("legacy sends garbage", "garbage", "protocol", id="garbage"),
]


@pytest.mark.parametrize(("label", "fault", "kind"), BAD_GATEWAY)
async def test_a_broken_legacy_gives_a_prompt_502(
    tmp_path: Path, fault_table: FaultTable, label: str, fault: Fault, kind: str
) -> None:
    run = await legacy_run(tmp_path, fault_table, label, Plan(legacy=fault, expect=502))
    # No timeout is involved: as prompt as a healthy answer.
    assert_clean_failure(run, 502)
    assert_kept(run, kind)


async def test_a_legacy_resetting_mid_body_gives_a_502(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    label, plan = "legacy resets mid-body", Plan(legacy="reset_mid_body", expect=502)
    run = await legacy_run(tmp_path, fault_table, label, plan)
    assert_clean_failure(run, 502)
    assert_kept(run, "reset")


@pytest.mark.parametrize(
    ("label", "fault"),
    [
        pytest.param("legacy answers after 4x timeout", "slow", id="slow"),
        pytest.param("legacy never answers", "hang", id="hang"),
    ],
)
async def test_a_legacy_slower_than_the_timeout_gives_a_504_in_time(
    tmp_path: Path, fault_table: FaultTable, label: str, fault: Fault
) -> None:
    plan = Plan(legacy=fault, expect=504, concurrency=WAITING_CONCURRENCY)
    run = await legacy_run(tmp_path, fault_table, label, plan, WAITED_MS)
    assert_clean_failure(run, 504, WAITED_MS)
    assert_kept(run, "timeout")


async def test_a_legacy_closing_keep_alives_at_random_serves_every_client(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    label = "legacy closes keep-alives at random"
    run = await legacy_run(tmp_path, fault_table, label, Plan(legacy="flaky_keepalive"))
    # A request on a pooled connection the legacy had just closed is never read by it; it
    # is sent again on a connection of its own, so the client never sees that race.
    assert_clean_failure(run, 200)
    assert_kept(run, "200")
