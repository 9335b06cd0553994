"""A misbehaving candidate never reaches the client, and every exchange is kept with its error.

Each test runs `twinsight proxy` as a process between a well-behaved legacy and a
`FaultyServer` candidate, drives a healthy baseline first, then the same load
under the fault, all against the same proxy. The candidate's "answers after
10 s" is scaled down: the proxy's mirror timeout is 0.5 s and the slow
candidate answers after 2 s (four timeouts, as 10 s is two of the default 5 s).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from twinsight.store import open_store

from .faulty import HUGE_SIZE, Fault
from .phases import Plan, Run, first_traceback, p99_bound, run_fault
from .table import FaultTable, Row

MIRROR_TIMEOUT_S = 0.5
# Where no timeout is part of the fault, one a loaded machine never reaches by accident.
PATIENT_TIMEOUT_S = 5.0
# Peak RSS growth allowed while 2 GiB bodies stream in: the kept prefixes (max_body each,
# up to the pool's 100 connections) and read buffers, never the bodies themselves.
RSS_GROWTH_MIB = 128
MAX_BODY = 1 << 20
HUGE_SHA256 = "c5f2d2b3f3972213c61d8756a63742fa61e3685b9c8b459430b571365c12d94b"  # 2 GiB of 0xa5


def p99_fair(fault_row: Row) -> bool:
    """Whether the client p99 under the fault stays within the bound."""
    return fault_row.p99_ms < p99_bound(fault_row)


def assert_client_unaffected(run: Run) -> None:
    """Every client request answered by the legacy, p99 close to the baseline's."""
    for attempt in run.attempts:
        assert attempt.faulty.success() == 100.0, attempt.faulty.statuses
    assert p99_fair(run.row), f"client p99 {run.row.p99_ms:.1f} ms > {p99_bound(run.row):.1f} ms"


def assert_all_kept(run: Run, candidate: set[str]) -> None:
    """Every served request stored, with the legacy's answer and the candidate's outcome."""
    assert run.exit_code == 0, run.log
    assert "Traceback" not in run.log, first_traceback(run.log)
    for attempt in run.attempts:
        served, outcomes = attempt.served, attempt.capture.outcomes
        assert served == len(attempt.faulty.statuses)
        assert (attempt.capture.exchanges, attempt.dropped) == (served, 0)
        assert outcomes["legacy"] == {"200": served}
        assert set(outcomes["candidate"]) <= candidate, outcomes
        assert sum(outcomes["candidate"].values()) == served


async def candidate_run(
    tmp_path: Path, table: FaultTable, label: str, fault: Fault, timeout: float = PATIENT_TIMEOUT_S
) -> Run:
    """A baseline-then-fault run with `fault` on the candidate."""
    return await run_fault(
        tmp_path, table, label, Plan(candidate=fault), fair=p99_fair, mirror_timeout_s=timeout
    )


SLOW = {"timeout", "unsent"}
CASES = [
    pytest.param("candidate refuses", "refuse", {"refused"}, PATIENT_TIMEOUT_S, id="refuse"),
    pytest.param("candidate never answers", "hang", SLOW, MIRROR_TIMEOUT_S, id="hang"),
    pytest.param("candidate answers after 4x timeout", "slow", SLOW, MIRROR_TIMEOUT_S, id="slow"),
    pytest.param(
        "candidate resets before answering", "reset", {"reset"}, PATIENT_TIMEOUT_S, id="reset"
    ),
    pytest.param(
        "candidate resets mid-body",
        "reset_mid_body",
        {"reset"},
        PATIENT_TIMEOUT_S,
        id="reset-mid-body",
    ),
    pytest.param(
        "candidate sends garbage", "garbage", {"protocol"}, PATIENT_TIMEOUT_S, id="garbage"
    ),
]


@pytest.mark.parametrize(("label", "fault", "kinds", "timeout"), CASES)
async def test_candidate_fault(
    tmp_path: Path,
    fault_table: FaultTable,
    label: str,
    fault: Fault,
    kinds: set[str],
    timeout: float,
) -> None:
    run = await candidate_run(tmp_path, fault_table, label, fault, timeout)
    assert_client_unaffected(run)
    assert_all_kept(run, kinds)


async def test_candidate_closing_keep_alives_at_random(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    label = "candidate closes keep-alives at random"
    run = await candidate_run(tmp_path, fault_table, label, "flaky_keepalive")
    assert_client_unaffected(run)
    # A request on a pooled connection the candidate had just closed is never read by it;
    # it is sent again on a connection of its own, never stored as the candidate's reset.
    assert_all_kept(run, {"200"})


async def test_candidate_sending_2_gib_bodies_does_not_grow_the_proxy(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    run = await run_fault(
        tmp_path,
        fault_table,
        "candidate sends a 2 GiB body (1 in 200)",
        Plan(candidate="huge", every=200),
        fair=p99_fair,
        mirror_timeout_s=60.0,  # time to read 2 GiB on a loaded machine
        max_body=MAX_BODY,
    )
    assert_client_unaffected(run)
    assert_all_kept(run, {"200"})
    huge = huge_bodies(run)
    assert huge == [(HUGE_SIZE, True, HUGE_SHA256, MAX_BODY)] * len(run.attempts)
    growth = run.rss_peak_mib - run.rss_before_mib
    assert growth < RSS_GROWTH_MIB, f"peak RSS {run.rss_before_mib:.0f} -> {run.rss_peak_mib:.0f}"


def huge_bodies(run: Run) -> list[tuple[int, bool, str, int]]:
    """(size, truncated, sha256, stored bytes) of each candidate answer over 1 MiB."""
    rows = open_store(run.store).execute(
        "SELECT body_size, truncated, body_sha256, octet_length(body) FROM responses "
        "WHERE target = 'candidate' AND body_size > 1048576"
    )
    return [(int(a), bool(b), str(c), int(d)) for a, b, c, d in rows.fetchall()]
