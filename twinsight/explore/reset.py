"""Bringing both targets back to a known state between examples, as the config declares:
a request sent to each (unrecorded), or a command run once per target."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass

from multidict import CIMultiDict

from twinsight.errors import UserError
from twinsight.traffic import Target

__all__ = ["Reset", "ResetFailed"]

COMMAND_SECONDS = 60.0


class ResetFailed(UserError):
    """A target could not be reset: exploring on would judge leftovers of earlier examples."""


@dataclass(frozen=True)
class Reset:
    """`request` ('METHOD /path') sent to each target, or `command` run per target."""

    request: str | None = None
    command: tuple[str, ...] = ()

    @classmethod
    def of(cls, request: str | None, command: Sequence[str]) -> Reset | None:
        """The reset the config declares, or None."""
        return cls(request, tuple(command)) if request or command else None

    def describe(self) -> str:
        """In words, for the summary."""
        return f"'{self.request}'" if self.request else f"'{' '.join(self.command)}'"

    async def run(self, targets: Sequence[Target], headers: CIMultiDict[str]) -> None:
        """Reset each target in turn; `ResetFailed` names the first that fails."""
        for target in targets:
            if self.request:
                await self._send(target, headers)
            if self.command:
                await self._command(target)

    async def _send(self, target: Target, headers: CIMultiDict[str]) -> None:
        assert self.request is not None
        method, _, path = self.request.partition(" ")
        answer = await target.call(method, path, "", headers, b"", max_body=1024)
        if answer.status is None or answer.status >= 400:
            got = answer.error if answer.status is None else f"status {answer.status}"
            raise ResetFailed(f"explore.reset {self.request} on {target.name}: {got}")

    async def _command(self, target: Target) -> None:
        env = {
            **os.environ,
            "TWINSIGHT_TARGET": target.name,
            "TWINSIGHT_TARGET_URL": target.base_url,
        }
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise ResetFailed(f"explore.reset_command on {target.name}: {exc}") from None
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), COMMAND_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            late = f"still running after {COMMAND_SECONDS:.0f} s"
            raise ResetFailed(f"explore.reset_command on {target.name}: {late}") from None
        if process.returncode != 0:
            said = stderr.decode("utf-8", "replace").strip().splitlines()
            why = f": {said[-1]}" if said else ""
            raise ResetFailed(
                f"explore.reset_command on {target.name}: exit {process.returncode}{why}"
            )
