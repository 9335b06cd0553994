"""The system's Chromium, headless, driven by Playwright: how the report tests open a page.

No browser is downloaded: Playwright launches Debian's `chromium` (installed by `.ci/run`).
Without it the tests fail in CI and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> str:
    """The browser's path; fails in CI (CI=true) and skips elsewhere when it is missing."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = "chromium is not installed (apt-get install -y chromium; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def browser_page(profile: Path, *, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A fresh page in a fresh profile of the system Chromium."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=ARGS,
            headless=True,
            viewport={"width": width, "height": height},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


@dataclass
class Watched:
    """What a page did that a report must never do: errors, requests, dialogs."""

    problems: list[str] = field(default_factory=list)  # console errors, uncaught exceptions
    requested: list[str] = field(default_factory=list)  # every URL the page asked for
    dialogs: list[str] = field(default_factory=list)  # alert(), confirm(), prompt()


def watch(page: Any) -> Watched:
    """Start recording what `page` does (before it loads anything)."""
    seen = Watched()
    page.on("console", lambda m: seen.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.problems.append(str(e)))
    page.on("request", lambda r: seen.requested.append(r.url))
    page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
    return seen
