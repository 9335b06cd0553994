"""Where a target lives is not a difference: its own base URL becomes a placeholder.

A `Location: http://127.0.0.1:8082/tasks/9` from the candidate and
`http://127.0.0.1:8081/tasks/9` from the legacy differ only by which server
answered. Before comparing, each answer's own origins (the base URL it was
reached at, with and without the scheme, and the Host it was sent) are
replaced by `{origin}` in headers and body.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from twinsight.config import Config

from .diff import Message

__all__ = ["PLACEHOLDER", "neutral_origin", "origins_of", "target_origins"]

PLACEHOLDER = "{origin}"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origins_of(base_url: str, *hosts: str) -> tuple[str, ...]:
    """The strings that name a target: `scheme://host:port`, `host:port`, extra Hosts.

    Longest first, so `http://h:1` is replaced whole before `h:1` could be.
    """
    parts = urlsplit(base_url)
    names = {f"{parts.scheme}://{parts.netloc}", parts.netloc, *hosts}
    default = _DEFAULT_PORTS.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:  # `h:abc`, `h:99999`: no port to spell another way
        port = -1
    if default is not None and parts.hostname and port in (None, default):
        # `http://h` and `http://h:80` name one server: a URL library drops the port, a
        # Location may keep it.
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        for netloc in (host, f"{host}:{default}"):
            names.update({f"{parts.scheme}://{netloc}", netloc})
    for host in hosts:
        names.update({f"http://{host}", f"https://{host}"})
    return tuple(sorted((n for n in names if n), key=len, reverse=True))


def neutral_origin(message: Message, origins: Iterable[str]) -> Message:
    """`message` with each of `origins` replaced by the placeholder in headers and body,
    where it stands as a name of its own (`api` inside `rapid` or `api.example` is not)."""
    names = tuple(origins)
    if not names:
        return message
    headers = tuple((k, _text(v, names)) for k, v in message.headers)
    body = message.body
    if not message.truncated and any(n.encode() in body for n in _spellings(names)):
        body = _pattern(names).sub(PLACEHOLDER.encode(), body)
    if headers == message.headers and body is message.body:
        return message
    return replace(message, headers=headers, body=body)


def _text(value: str, names: tuple[str, ...]) -> str:
    if not any(name in value for name in names):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return _pattern(names).sub(PLACEHOLDER.encode(), raw).decode("utf-8", "surrogateescape")


def _spellings(names: tuple[str, ...]) -> tuple[str, ...]:
    # JSON may escape slashes: `http:\/\/h:1`.
    return names + tuple(n.replace("/", "\\/") for n in names if "/" in n)


@functools.lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern[bytes]:
    # Longest first, so `http://h:1` is taken whole before `h:1` or `h` could be.
    spelled = sorted(set(_spellings(names)), key=len, reverse=True)
    alternatives = b"|".join(re.escape(n.encode()) for n in spelled)
    return re.compile(
        rb"(?<![A-Za-z0-9.-])(?:" + alternatives + rb")(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
    )


def target_origins(
    config: Config, recorded: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """Each target's origins: from its configured URL and every base URL the store recorded
    its answers were reached at (so no `[targets]` is needed to neutralize them)."""
    found: dict[str, set[str]] = {}
    for name, url in config.targets.items():
        found.setdefault(name, set()).update(origins_of(str(url)))
    for name, bases in recorded.items():
        for base in bases:
            found.setdefault(name, set()).update(origins_of(base))
    # Longest first across every URL, as `origins_of` orders one URL's.
    return {name: tuple(sorted(names, key=lambda n: (-len(n), n))) for name, names in found.items()}
