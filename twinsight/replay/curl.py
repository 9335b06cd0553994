"""Copy-as-curl: one shell command that sends a request as twinsight sent it.

Every word is quoted with `shlex.quote`, so the command reads back with
`shlex.split` and a POSIX shell runs it as written. A text body goes in
`--data-raw` (curl reads no file for a leading `@` there); any other body is
written by `printf` with octal escapes and piped to `--data-binary @-`, so that
every byte, NUL included, arrives as it was.
"""

from __future__ import annotations

import shlex

from yarl import URL

from twinsight.traffic import upstream_url

from .shrink import Request

__all__ = ["as_curl", "printf_format"]

_CURL_ADDS = ("User-Agent", "Accept")
_CURL = ["curl", "--silent", "--show-error", "--include", "--globoff", "--path-as-is"]


def as_curl(request: Request, base_url: str) -> str:
    """The curl command that sends `request` to the target at `base_url`."""
    url = upstream_url(URL(base_url), request.path, request.query)
    method = ["--head"] if request.method == "HEAD" else ["--request", request.method]
    words = [*_CURL, *method, str(url)]
    for name, value in request.headers:
        words += ["--header", f"{name}: {value}" if value else f"{name};"]
    present = {name.lower() for name, _ in request.headers}
    for name in _CURL_ADDS:  # curl's own, where the request had none
        if name.lower() not in present:
            words += ["--header", f"{name}:"]
    if request.body and request.content_type is None:
        words += ["--header", "Content-Type:"]  # curl would add a form type of its own
    text = _text(request.body)
    if text is not None:
        return shlex.join([*words, "--data-raw", text] if text else words)
    head = f"printf {shlex.quote(printf_format(request.body))}"
    return f"{head} | {shlex.join([*words, '--data-binary', '@-'])}"


def printf_format(body: bytes) -> str:
    """A `printf` format that writes exactly `body`: printable ASCII as itself, every other
    byte (and `%` and `\\`) as an octal escape."""
    return "".join(
        chr(byte) if 0x20 <= byte < 0x7F and byte not in b"%\\" else f"\\{byte:03o}"
        for byte in body
    )


def _text(body: bytes) -> str | None:
    """`body` as text when a shell word carries it unchanged: UTF-8 without NUL or controls
    other than tab and newlines."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 0x20 and c not in "\t\r\n" for c in text) or "\x7f" in text:
        return None
    return text
