"""The loop a replay runs on: uvloop's when it is installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

from twinsight.traffic.loop import run_loop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_a_replay_runs_on_uvloop_when_it_is_installed() -> None:
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert run_loop(_loop_module()).split(".")[0] == expected
