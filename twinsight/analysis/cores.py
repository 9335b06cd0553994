"""How many CPUs this process may use: what `analyze` starts workers for by default.

`os.cpu_count()` is the machine's count. A process pinned to some CPUs, or a container
given a CPU quota on a large node, may use fewer: a worker per CPU of the node would
only queue for the quota, each holding its own memory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["usable_cores"]

CGROUP = Path("/sys/fs/cgroup")
"""Where Linux shows the process's control group (its own, in a container)."""


def usable_cores(cgroup: Path = CGROUP) -> int:
    """The CPUs this process may run on, within its control group's CPU quota if it has one
    (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroup)
    return max(1, cores if quota is None else min(cores, quota))


def cpu_quota(cgroup: Path) -> int | None:
    """The whole CPUs a control group's quota allows (at least 1), from `cpu.max` (cgroup v2)
    or `cpu/cpu.cfs_quota_us` and `cpu.cfs_period_us` (v1); None without a quota or files."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        allowed, per = int(quota), int(period)
    except ValueError:
        return None  # `max`: no quota
    return max(1, allowed // per) if allowed > 0 and per > 0 else None
