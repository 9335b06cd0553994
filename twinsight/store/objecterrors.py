"""Why an object-store call failed, in words a user can act on, with no credential's value."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

__all__ = ["reason"]

_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")


def reason(exc: BaseException) -> str:
    """Why an object-store call failed, in a few words, without any credential's value."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "NETWORK_CONNECTION" in text or "curlCode" in text:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        where = f" at {_without_userinfo(endpoint)}" if endpoint else ""
        detail = text.split("curlCode: ", 1)[-1].split(";", 1)[0]
        text = f"cannot reach the object store{where} ({detail.split(', ', 1)[-1]})"
    elif "NO_SUCH_BUCKET" in text:
        text = "no such bucket"
    elif "ACCESS_DENIED" in text or "AccessDenied" in text or "403" in text:
        text = "access denied: check the credentials (AWS_ACCESS_KEY_ID, ...) and the bucket policy"
    for name in _SECRETS:
        value = os.environ.get(name)
        if value and len(value) >= 8:  # a shorter one is no secret, and would mangle words
            text = text.replace(value, f"<{name}>")
    return text


def _without_userinfo(url: str) -> str:
    """`url` without any user:password@ it was written with."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
