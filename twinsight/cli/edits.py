"""Changing a user's spec or config file: shown as a diff, checked, written atomically."""

from __future__ import annotations

import contextlib
import difflib
import getpass
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from twinsight.config import load_config
from twinsight.errors import ConfigError, SpecError, UserError
from twinsight.spec import load_spec

__all__ = ["Edit", "author", "commit_edit", "diff_lines"]

_LINE = r"[^\n]*\n|[^\n]+\Z"  # lines as the file has them (not at U+0085, U+2028)


@dataclass(frozen=True)
class Edit:
    """A file's text before and after a change, what kind of file, and what was added."""

    file: Path
    before: str
    after: str
    kind: Literal["spec", "config"]
    added: list[str]


def diff_lines(edit: Edit) -> list[str]:
    """The change as a unified diff, one line each (no line breaks)."""
    name = str(edit.file)
    return [
        line.rstrip("\r\n")
        for line in difflib.unified_diff(
            re.findall(_LINE, edit.before),
            re.findall(_LINE, edit.after),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    ]


def commit_edit(edit: Edit) -> None:
    """Write the new text in place of the file, only if it still loads as its kind.

    Written to a temporary file beside it, loaded from there, then renamed over it: a
    reader sees the old file or the new one, never half of one, and a text that would
    not load, or a folder that cannot be written, leaves the file as it was (one-line
    UserError)."""
    try:
        _replace(edit)
    except OSError as exc:
        raise UserError(f"{edit.file}: not changed: {exc.strerror or exc}") from None


def _replace(edit: Edit) -> None:
    check: Callable[[Path], object] = load_spec if edit.kind == "spec" else load_config
    # A symlinked file is changed where it lives: renaming over the link would replace
    # the link with a copy and leave the file it names as it was.
    target = edit.file.resolve()
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(edit.after)
        os.chmod(temporary, target.stat().st_mode & 0o7777)
        try:
            check(temporary)
        except (SpecError, ConfigError) as exc:
            first = exc.problems[0]
            where = f"line {first.location.line}: " if first.location.line else ""
            raise UserError(
                f"{edit.file}: not changed: with the change it would not load "
                f"({where}{first.message})"
            ) from None
        except UserError as exc:
            raise UserError(
                f"{edit.file}: not changed: with the change it would not load ({exc})"
            ) from None
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def author(folder: Path) -> str:
    """Who makes the change: the git author configured for `folder` (`Name <email>`), or
    else the user logged in."""
    name, email = _git_config(folder, "user.name"), _git_config(folder, "user.email")
    if name:
        return f"{name} <{email}>" if email else name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _git_config(folder: Path, key: str) -> str:
    try:
        found = subprocess.run(
            ["git", "-C", str(folder), "config", "--get", key],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""  # no git here: the OS user says who
    return found.stdout.strip() if found.returncode == 0 else ""
