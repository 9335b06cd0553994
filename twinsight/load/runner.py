"""Running locust headless in a process of its own, on one target, for one load shape."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import orjson

from twinsight.errors import MissingExtra, UserError

from .plan import LoadRequest, LoadShape, write_plan

__all__ = ["LOCUSTFILE", "STOP_GRACE_S", "Measured", "locust_available", "run_locust"]

LOCUSTFILE = Path(__file__).with_name("locustfile.txt")
STOP_GRACE_S = 30.0
"""How long past its run time a locust process may take to start and stop before it is ended."""
_PROGRESS = "twinsight-progress "
_KEPT_LINES = 20
_SHORT = 8

Measured = dict[str, object]
"""What the locustfile wrote: {"duration_s": float, "endpoints": {name: {...}}}."""


def locust_available() -> None:
    """Raise the one-line MissingExtra unless locust is installed; never imports it (its
    import patches the standard library for gevent)."""
    if importlib.util.find_spec("locust") is None:
        raise MissingExtra("twinsight load needs the [load] extra: pip install 'twinsight[load]'")


def run_locust(
    host: str,
    requests: Sequence[LoadRequest],
    shape: LoadShape,
    on_progress: Callable[[int, float], None] | None = None,
    *,
    secrets: Collection[str] = (),
) -> Measured:
    """Send `requests` in turn to `host` in the given shape; what locust measured.

    The requests reach locust in a plan file only its owner reads, in a private folder
    removed afterwards; `secrets` are neither in its environment nor in a message."""
    with tempfile.TemporaryDirectory(prefix="twinsight-load-") as folder:
        where = Path(folder)
        locustfile = where / "locustfile.py"
        locustfile.write_text(LOCUSTFILE.read_text(encoding="utf-8"), encoding="utf-8")
        out = where / "measured.json"
        write_plan(where / "plan.json", requests, shape, out)
        command = _command(locustfile, host, shape)
        # A credential given by environment variable stays with this process.
        env = {k: v for k, v in os.environ.items() if not _holds(v, secrets)}
        env["TWINSIGHT_LOAD_PLAN"] = str(where / "plan.json")
        kept = _run(command, env, shape.duration_s + STOP_GRACE_S, on_progress)
        if not out.exists():
            said = " | ".join(_hidden(line, secrets) for line in kept[-3:]) or "no output"
            raise UserError(f"load against {host}: locust measured nothing ({said})")
        measured: Measured = orjson.loads(out.read_bytes())
        return measured


def _holds(text: str, secrets: Collection[str]) -> bool:
    # A short value would be found inside unrelated ones (PATH holds "1"): equal only.
    return text in secrets or any(len(s) >= _SHORT and s in text for s in secrets)


def _hidden(text: str, secrets: Collection[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    return text


def _command(locustfile: Path, host: str, shape: LoadShape) -> list[str]:
    users = str(shape.users)
    return [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--users", users, "--spawn-rate", users, "--run-time", f"{shape.duration_s:g}s",
        "--host", host, "--only-summary", "--loglevel", "WARNING",
        "--exit-code-on-error", "0", "--stop-timeout", "2",
    ]  # fmt: skip


def _run(
    command: list[str],
    env: dict[str, str],
    timeout_s: float,
    on_progress: Callable[[int, float], None] | None,
) -> list[str]:
    """Run locust to its end (ended after `timeout_s`), relaying its progress lines; the
    last other lines it wrote, for an error message."""
    kept: list[str] = []
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        timer = _Deadline(process, timeout_s)
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith(_PROGRESS):
                if on_progress is not None:
                    found = orjson.loads(line[len(_PROGRESS) :])
                    on_progress(int(found["requests"]), float(found["elapsed"]))
            elif line.strip():
                kept = [*kept[-_KEPT_LINES:], line.strip()]
        process.wait()
        timer.cancel()
    if timer.fired:
        raise UserError(f"load: locust did not stop within {timeout_s:g}s and was ended")
    return kept


class _Deadline:
    """Ends `process` if it is still running after `seconds`."""

    def __init__(self, process: subprocess.Popen[str], seconds: float) -> None:
        self.fired = False
        self._process = process
        self._timer = threading.Timer(seconds, self._end)
        self._timer.daemon = True
        self._timer.start()

    def _end(self) -> None:
        if self._process.poll() is None:
            self.fired = True
            self._process.kill()

    def cancel(self) -> None:
        """The process ended in time: no need to end it."""
        self._timer.cancel()
