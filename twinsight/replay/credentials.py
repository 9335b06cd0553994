"""`twinsight replay --credentials FILE`: the real value behind each redacted token.

The store keeps a secret as `<redacted:HEX>`, a keyed hash of its value, so the
same password or token gives the same marker wherever it was sent. The file names,
per marker, what to send instead: a `value`, an environment variable (`env`) or a
`command` that prints a fresh one (run once per token and run). A `[targets.NAME]`
section holds values for one target only (a candidate with its own users):

    [tokens."<redacted:3f9a0c1b2d4e5f60>"]
    value = "Bearer eyJhbGciOi..."

    [targets.candidate.tokens."<redacted:3f9a0c1b2d4e5f60>"]
    command = ["sh", "-c", "curl -s http://candidate/login -d @admin.json | jq -r .token"]

Values live in memory only: `Credentials` never shows them in its repr, and nothing here
writes them anywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from twinsight.errors import UserError

__all__ = [
    "Credentials",
    "Source",
    "load_credentials",
    "marker_of",
    "parse_credentials",
    "unmatched",
]

_HEX = re.compile(r"^(?:<redacted:)?([0-9a-f]{16})>?$")
_COMMAND_TIMEOUT_S = 120.0
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(.+)$", re.DOTALL)  # as redaction splits it


def marker_of(key: str) -> str | None:
    """`<redacted:HEX>` for a key written as the marker or its 16 hex digits; None otherwise."""
    found = _HEX.match(key.strip())
    return f"<redacted:{found.group(1)}>" if found else None


@dataclass(frozen=True)
class Source:
    """Where one token's value comes from: exactly one of value, env, command."""

    where: str  # `tokens."<redacted:...>"` in the file, for messages
    value: str | None = field(default=None, repr=False)
    env: str | None = None
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Credentials:
    """Real values by marker: for every target, and per target over those."""

    common: Mapping[str, str] = field(default_factory=dict, repr=False)
    by_target: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)
    # (where in the file, marker, value) of values given as such (value, env): a command's
    # is minted fresh, so it cannot be checked against the marker
    given: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return f"Credentials({len(self.common)} token(s), targets {sorted(self.by_target)})"

    def for_target(self, target: str) -> dict[str, str]:
        """Marker -> value for `target`: its own section over the common one."""
        return {**self.common, **self.by_target.get(target, {})}

    @property
    def tokens(self) -> frozenset[str]:
        """Every marker the file names, in any section."""
        return frozenset(self.common).union(*(set(t) for t in self.by_target.values()))


def load_credentials(path: Path, targets: Mapping[str, object] | None = None) -> Credentials:
    """The credentials file at `path` read and every value resolved (commands run once
    each); a one-line error naming the file and entry when it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--credentials {path}: {exc.strerror or exc}") from None
    common, by_target = parse_credentials(text, str(path), yaml=path.suffix in (".yaml", ".yml"))
    unknown = set(by_target) - set(targets or by_target)
    if unknown:
        raise UserError(f"{path}: [targets.{sorted(unknown)[0]}]: no such target")
    minted: dict[tuple[str, ...], str] = {}
    everything = [*common.items(), *(i for e in by_target.values() for i in e.items())]
    return Credentials(
        {m: _resolve(s, path, minted) for m, s in common.items()},
        {t: {m: _resolve(s, path, minted) for m, s in e.items()} for t, e in by_target.items()},
        tuple(
            (source.where, m, _resolve(source, path, minted))
            for m, source in everything
            if source.command is None
        ),
    )


def unmatched(credentials: Credentials, mark: Callable[[str], str]) -> list[str]:
    """Entries whose value does not give their marker under `mark` (the capture's redaction
    key): a value of another user, or a capture made with another key. Names entries only."""
    wrong = []
    for where, marker, value in credentials.given:
        scheme = _SCHEME.match(value)
        forms = [value, scheme.group(2)] if scheme else [value]
        if marker not in {mark(form) for form in forms}:
            wrong.append(f"{where}: its value does not give {marker} under this redaction key")
    return wrong


_Sources = dict[str, Source]


def parse_credentials(text: str, name: str, *, yaml: bool) -> tuple[_Sources, dict[str, _Sources]]:
    """(common sources by marker, per-target sources by marker) of a file's text."""
    try:
        data = YAML(typ="safe").load(text) if yaml else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, YAMLError) as exc:
        raise UserError(f"{name}: not valid {'YAML' if yaml else 'TOML'}: {exc}") from None
    data = data or {}
    if not isinstance(data, dict) or set(data) - {"tokens", "targets"}:
        raise UserError(f"{name}: expected only [tokens] and [targets.NAME.tokens] tables")
    common = _tokens(data.get("tokens", {}), name, "tokens")
    targets = data.get("targets", {})
    if not isinstance(targets, dict):
        raise UserError(f"{name}: targets: expected a table per target")
    by_target = {}
    for target, section in targets.items():
        where = f"targets.{target}"
        if not isinstance(section, dict) or set(section) - {"tokens"}:
            raise UserError(f"{name}: [{where}]: expected only a tokens table")
        by_target[str(target)] = _tokens(section.get("tokens", {}), name, f"{where}.tokens")
    return common, by_target


def _tokens(table: Any, name: str, where: str) -> _Sources:
    if not isinstance(table, dict):
        raise UserError(f"{name}: {where}: expected a table per redacted token")
    sources = {}
    for key, entry in table.items():
        marker = marker_of(str(key))
        here = f'{where}."{key}"'
        if marker is None:
            raise UserError(f"{name}: {here}: not a redacted token (<redacted:16 hex digits>)")
        sources[marker] = _source(entry, name, here)
    return sources


def _source(entry: Any, name: str, where: str) -> Source:
    if isinstance(entry, str):
        return Source(where, value=entry)
    if not isinstance(entry, dict) or len(entry) != 1 or set(entry) - {"value", "env", "command"}:
        raise UserError(f"{name}: {where}: expected exactly one of value, env, command")
    ((kind, given),) = entry.items()
    if kind == "command":
        if not (isinstance(given, list) and given and all(isinstance(a, str) for a in given)):
            raise UserError(f"{name}: {where}.command: expected a list of strings")
        return Source(where, command=tuple(given))
    if not isinstance(given, str) or not given:
        raise UserError(f"{name}: {where}.{kind}: expected a non-empty string")
    return Source(where, value=given) if kind == "value" else Source(where, env=given)


def _resolve(source: Source, path: Path, minted: dict[tuple[str, ...], str]) -> str:
    """The value `source` names; a command runs once however many entries name it."""
    if source.value is not None:
        return source.value
    if source.env is not None:
        value = os.environ.get(source.env)
        if not value:
            raise UserError(f"{path}: {source.where}: environment variable {source.env} not set")
        return value
    assert source.command is not None
    if source.command not in minted:
        minted[source.command] = _mint(source.command, f"{path}: {source.where}")
    return minted[source.command]


def _mint(command: tuple[str, ...], where: str) -> str:
    """The stripped standard output of `command`; its output is never put in a message."""
    try:
        # The user's own command, from their own file: run as given, no shell added.
        done = subprocess.run(command, capture_output=True, timeout=_COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{where}: command {command[0]!r} could not run: {exc}") from None
    value = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not value:
        why = f"exited {done.returncode}" if done.returncode else "printed nothing"
        raise UserError(f"{where}: command {command[0]!r} {why}")
    return value
