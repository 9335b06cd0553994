"""What an identifier looks like in a URL path, defined once for Python and for SQL.

Analysis folds `/tasks/17` into the endpoint `/tasks/{id}`, correlation collects
ids from `Location` headers, and `store info` groups a store's paths by endpoint
in DuckDB: all read the same shapes. DuckDB's regular expressions (RE2) have no
lookahead, so "has a digit" is a separate condition rather than part of a pattern.
"""

from __future__ import annotations

import re

__all__ = ["ID_SHAPES", "id_segment_sql", "looks_like_id"]

ID_SHAPES: tuple[tuple[str, bool], ...] = (
    # (a whole segment matches this pattern, and must also hold a digit)
    (r"[0-9]+", False),
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", False),
    (r"[0-9a-fA-F]{12,}", True),  # long hex; the digit keeps words like "deadbeefcafe" out
    (r"[A-Za-z0-9_-]{20,}", True),  # long tokens; the digit keeps long slugs out
)

# One compiled pattern: called for every path segment of every exchange. ASCII digits
# only, and matched whole (no `$` before a newline): as DuckDB's RE2 reads the shapes.
_ID = re.compile(
    "|".join(("(?=.*[0-9])" if digit else "") + pattern for pattern, digit in ID_SHAPES)
)


def looks_like_id(segment: str) -> bool:
    """A number, a uuid, a long hex string or a long token with digits: an identifier."""
    return _ID.fullmatch(segment) is not None


def id_segment_sql(segment: str) -> str:
    """A DuckDB condition: the SQL expression `segment` looks like an identifier."""
    tests = []
    for pattern, digit in ID_SHAPES:
        test = f"regexp_full_match({segment}, '{pattern}')"
        tests.append(f"({test} AND regexp_matches({segment}, '[0-9]'))" if digit else test)
    return "(" + " OR ".join(tests) + ")"
