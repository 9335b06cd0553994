"""A long run under steady load: memory stays flat and nothing is lost.

Behind the `soak` marker, so `make test` leaves it out:

    .venv/bin/pytest -m soak tests/faults      # TWINSIGHT_SOAK_SECONDS (default 300)
"""

from __future__ import annotations

import os
import time
from contextlib import closing
from pathlib import Path

import pytest

from twinsight.store import open_store, store_info

from .harness import proxy_process
from .load import drive
from .table import FaultTable, row
from .test_store_faults import answer_server

SOAK_S = float(os.environ.get("TWINSIGHT_SOAK_SECONDS", "300"))
ROUND = 2000  # requests per round: one in ten answered with 24 KiB


@pytest.mark.soak
async def test_a_long_run_keeps_memory_flat_and_loses_nothing(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    peaks: list[float] = []
    latencies: list[float] = []
    sent = 0
    async with (
        answer_server() as legacy,
        answer_server() as candidate,
        proxy_process(tmp_path, legacy, candidate) as proxy,
    ):
        deadline = time.monotonic() + SOAK_S
        while time.monotonic() < deadline:
            small = await drive(proxy.url, "/small", ROUND * 9 // 10, concurrency=20)
            mid = await drive(proxy.url, "/mid", ROUND // 10, concurrency=5)
            assert small.success() == mid.success() == 100.0
            latencies += small.latencies_ms
            sent += ROUND
            peaks.append(proxy.peak_rss_mib())
        counts = await proxy.settle()
        code = await proxy.stop()
    with closing(open_store(proxy.store)) as db:
        info = store_info(db, [proxy.store])
    fault_table.add(
        row(
            f"soak: {SOAK_S:.0f} s, {sent:,} requests",
            latencies_ms=latencies,
            success_pct=100.0,
            baseline_ms=latencies[: len(latencies) // 4],
            captured=info.exchanges,
            dropped=int(sum(v for k, v in counts.items() if k.startswith("twinsight_dropped"))),
            served=sent,
            note=f"peak RSS {peaks[len(peaks) // 4]:.0f} -> {peaks[-1]:.0f} MiB",
        )
    )
    assert code == 0
    assert (info.exchanges, info.lost, info.unclean) == (sent, 0, [])
    # Flat: past the first quarter (pools, caches, the allocator warmed up) the peak grows
    # by less than a fifth, whatever the run's length.
    assert peaks[-1] < peaks[len(peaks) // 4] * 1.2 + 20, peaks
