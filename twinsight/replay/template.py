"""What `twinsight store credentials` prints: the tokens to fill, or a file to fill them in."""

from __future__ import annotations

from collections.abc import Sequence

from twinsight.store.tokens import TokenUse

__all__ = ["credentials_template", "token_lines"]

_SHOWN_SESSIONS = 3


def _sessions(use: TokenUse) -> str:
    shown = ", ".join(use.sessions[:_SHOWN_SESSIONS])
    more = len(use.sessions) - _SHOWN_SESSIONS
    return (shown or "-") + (f" and {more} more" if more > 0 else "")


def _first(use: TokenUse) -> str:
    when = use.first_at.isoformat(timespec="seconds") if use.first_at else "time unknown"
    return f"{use.first} at {when}"


def token_lines(uses: Sequence[TokenUse]) -> list[str]:
    """One block per token: where it was sent, how often, by which sessions, first when."""
    if not uses:
        return ["no redacted token in the recorded requests: nothing to fill"]
    lines = [f"{len(uses)} redacted token(s) in recorded requests (--template: a file to fill):"]
    for use in uses:
        lines += [
            f"{use.token}  in {', '.join(use.where)}",
            f"   {use.requests} request(s), {len(use.sessions)} session(s): {_sessions(use)}",
            f"   first: {_first(use)}",
        ]
    return lines


def credentials_template(uses: Sequence[TokenUse]) -> str:
    """A credentials file (TOML) with an entry per token, its value left to fill."""
    lines = [
        "# twinsight replay --credentials FILE: the real value behind each redacted token.",
        '# Each entry takes one of: value = "..." (for a header the whole value, such as',
        '# "Bearer eyJ...", or only what followed the scheme), env = "VARIABLE", or',
        '# command = ["sh", "-c", "..."] printing a fresh one (run once per replay).',
        '# A target with other credentials: [targets.NAME.tokens."<redacted:...>"].',
        "# Keep this file out of version control if it holds values.",
    ]
    for use in uses:
        lines += [
            "",
            f"# {', '.join(use.where)}: {use.requests} request(s), "
            f"{len(use.sessions)} session(s); first {_first(use)}",
            f'[tokens."{use.token}"]',
            'value = ""',
        ]
    return "\n".join(lines) + "\n"
