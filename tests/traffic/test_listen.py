"""Binding a listening address: a bound socket, or one line naming the option."""

from __future__ import annotations

import errno
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.errors import UserError
from twinsight.traffic.listen import bound_socket, cannot_bind


def test_a_free_port_gives_a_listening_socket() -> None:
    with bound_socket("--listen x", "127.0.0.1", 0) as held:
        port = held.getsockname()[1]
        assert port > 0
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_used_port_names_the_option() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(UserError) as raised:
            bound_socket(f"--port {port}", "127.0.0.1", port)
    assert str(raised.value) == f"--port {port}: address already in use"


def test_an_unknown_host_says_so() -> None:
    with pytest.raises(UserError, match=r"^--host nowhere\.invalid: unknown host \("):
        bound_socket("--host nowhere.invalid", "nowhere.invalid", 0)


def test_an_ipv6_address_binds() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        held = bound_socket("--listen [::1]:0", "::1", 0)
    except UserError as exc:
        pytest.skip(f"no IPv6 loopback: {exc}")
    with held:
        assert held.family == socket.AF_INET6


@given(st.sampled_from(sorted(errno.errorcode)))
def test_any_failure_to_bind_is_one_line_naming_the_option(number: int) -> None:
    with pytest.raises(UserError) as raised, cannot_bind("--admin 127.0.0.1:1"):
        raise OSError(number, "error while attempting to bind on address: whatever")
    text = str(raised.value)
    assert text.startswith("--admin 127.0.0.1:1: ")
    assert "\n" not in text
    assert "whatever" not in text  # the sentence around the reason (asyncio's) is left out


def test_other_errors_pass_through() -> None:
    with pytest.raises(ValueError, match="not a bind"), cannot_bind("--port 1"):
        raise ValueError("not a bind")
