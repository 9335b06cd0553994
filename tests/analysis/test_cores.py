"""How many CPUs `analyze` starts workers for: a control group's CPU quota caps them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twinsight.analysis.cores import cpu_quota, usable_cores


def cgroup(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 1),
        ({"cpu.max": "250000 100000\n"}, 2),
        ({"cpu.max": "50000 100000\n"}, 1),  # half a CPU: still one worker
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "400000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4),
        ({"cpu.max": "garbled\n"}, None),
        ({"cpu.max": "100000 0\n"}, None),
        ({}, None),
    ],
)
def test_a_cpu_quota_is_read_from_either_cgroup_version(
    tmp_path: Path, files: dict[str, str], quota: int | None
) -> None:
    assert cpu_quota(cgroup(tmp_path, files)) == quota


def test_the_cpus_used_are_the_fewer_of_affinity_and_quota(tmp_path: Path) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores(tmp_path) == cores  # no quota
    assert usable_cores(cgroup(tmp_path, {"cpu.max": "100000 100000"})) == 1
