"""`twinsight store credentials`: the redacted tokens recorded requests carry, and where.

A token is the marker redaction stored for a secret (`<redacted:HEX>`); equal secrets
give equal markers, so each token is one credential of one user (a password, a bearer
token, a session cookie). Listed so a person can name each one's real value for a
replay (`twinsight replay --credentials`). Replayed exchanges are left out: they
repeat what was recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl

from twinsight.store.ids import session_label
from twinsight.store.reader import open_store

__all__ = ["TokenUse", "token_uses"]

_MARKER = re.compile(r"<redacted:[0-9a-f]{16}>")
_COOKIES = frozenset({"cookie", "cookie2"})
_QUERY = """
SELECT ts, session, method, path, query, request_headers FROM exchanges
WHERE source IS DISTINCT FROM 'replay'
  AND (CAST(request_headers AS VARCHAR) LIKE '%<redacted:%' OR query LIKE '%<redacted:%')
ORDER BY ts, id
"""


@dataclass
class TokenUse:
    """One redacted token: where it was sent, by how many requests of which sessions."""

    token: str
    where: list[str] = field(default_factory=list)  # `authorization`, `cookie sid`, `query key`
    requests: int = 0
    sessions: list[str] = field(default_factory=list)  # labels, in order of first use
    first: str = ""  # "GET /accounts/17"
    first_at: datetime | None = None


def token_uses(path: Path | None, segments: Path | None) -> list[TokenUse]:
    """Every token recorded requests carry in a header, cookie or query, in order of first use."""
    connection = open_store(path, segments)
    uses: dict[str, TokenUse] = {}
    try:
        cursor = connection.execute(_QUERY)
        while rows := cursor.fetchmany(1000):
            for row in rows:
                ts, session, method, path_, query, headers = tuple(row)
                for token, where in _tokens(headers or [], query or "").items():
                    use = uses.setdefault(token, TokenUse(token, first=f"{method} {path_}"))
                    _count(use, where, session, ts)
    finally:
        connection.close()
    return list(uses.values())


def _count(use: TokenUse, where: str, session: str | None, ts: datetime | None) -> None:
    # A request naming a token twice (a header and a cookie) counts once.
    if where not in use.where:
        use.where.append(where)
    if use.first_at is None:
        use.first_at = ts
    label = session_label(session) if session else None
    if label and label not in use.sessions:
        use.sessions.append(label)
    use.requests += 1


def _tokens(headers: list[dict[str, str]], query: str) -> dict[str, str]:
    """token -> where this request sent it (the first place)."""
    found: dict[str, str] = {}
    for header in headers:
        name, value = header["name"].lower(), header["value"] or ""
        if name in _COOKIES:
            for pair in value.split(";"):
                cookie = pair.strip().partition("=")[0]
                for token in _MARKER.findall(pair):
                    found.setdefault(token, f"cookie {cookie}")
        else:
            for token in _MARKER.findall(value):
                found.setdefault(token, name)
    for key, value in parse_qsl(query, keep_blank_values=True):
        for token in _MARKER.findall(value):
            found.setdefault(token, f"query {key}")
    return found
