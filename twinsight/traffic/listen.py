"""Binding an address a command listens on: a failure is one line naming the option.

Every listening command (the example services, the proxy, the sink, their admin
endpoints, the workers' shared port) binds through here, so a used port, an address
of another machine or an unknown host reads the same everywhere, e.g.
`--port 8081: address already in use`, instead of a traceback.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from twinsight.errors import UserError

__all__ = ["bound_socket", "cannot_bind", "shown"]

_HINTS = {
    errno.EADDRNOTAVAIL: "not an address of this machine",
    errno.EACCES: "ports below 1024 need privileges",
}


def shown(host: str, port: int) -> str:
    """`HOST:PORT` as it is typed, with brackets around an IPv6 host."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(exc: OSError) -> str:
    """Why binding failed, in a few words (asyncio wraps the system's reason in a sentence
    repeating the address; the error number says it without)."""
    if isinstance(exc, socket.gaierror):
        text = f"unknown host ({str(exc.strerror or exc).lower()})"
    elif exc.errno is not None and exc.errno > 0:
        text = os.strerror(exc.errno)
        if exc.errno in _HINTS:
            text += f" ({_HINTS[exc.errno]})"
    else:
        text = str(exc)
    return text[:1].lower() + text[1:]


@contextmanager
def cannot_bind(option: str) -> Iterator[None]:
    """Inside, a failure to bind or resolve is a UserError naming `option` (the option as
    typed with its value, e.g. `--listen 127.0.0.1:8080`)."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"{option}: {_reason(exc)}") from None


def bound_socket(
    option: str,
    host: str,
    port: int,
    *,
    reuse_address: bool = True,
    reuse_port: bool = False,
    backlog: int | None = 128,
) -> socket.socket:
    """A TCP socket bound to `host`:`port` (the first address `host` resolves to), listening
    unless `backlog` is None. `reuse_address` as servers set it, so a restart binds past
    connections in TIME_WAIT (a port another socket listens on is still refused)."""
    with cannot_bind(option):
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        held = socket.socket(family, kind, proto)
        try:
            if reuse_address:
                held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            held.bind(address)
            if backlog is not None:
                held.listen(backlog)
        except BaseException:
            held.close()
            raise
    return held
