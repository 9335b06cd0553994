"""Every command that listens, started on a port another socket holds: one line naming the
option and the address, exit code 2, no traceback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.run import twinsight

TARGETS = ("--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9")


def capture(command: str, option: str, *more: str) -> Callable[[int, Path], tuple[list[str], str]]:
    """`twinsight COMMAND` with `option` on the held port (the other address free)."""

    def argv(port: int, folder: Path) -> tuple[list[str], str]:
        taken = f"127.0.0.1:{port}"
        other = "--admin" if option == "--listen" else "--listen"
        store = str(folder / "capture.duckdb")
        args = [command, *TARGETS, "--store", store, option, taken, other, "127.0.0.1:0", *more]
        return args, f"{option} {taken}"

    return argv


def example(name: str) -> Callable[[int, Path], tuple[list[str], str]]:
    """`twinsight example NAME --port PORT`."""
    return lambda port, _: (["example", name, "--port", str(port)], f"--port {port}")


COMMANDS = {
    "example legacy": example("legacy"),
    "example candidate": example("candidate"),
    "example xml-legacy": example("xml-legacy"),
    "example xml-candidate": example("xml-candidate"),
    "proxy --listen": capture("proxy", "--listen"),
    "proxy --admin": capture("proxy", "--admin"),
    "sink --listen": capture("sink", "--listen"),
    "sink --admin": capture("sink", "--admin"),
    "proxy --workers --listen": capture("proxy", "--listen", "--workers", "2"),
    "sink --workers --admin": capture("sink", "--admin", "--workers", "2"),
}


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.fixture
def shared_port() -> Iterator[int]:
    """A port another `--workers` run's worker listens on: SO_REUSEPORT, as ours set."""
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def refused(args: list[str], named: str) -> None:
    """The command fails with exactly the one line naming `named`, the port in use."""
    ran = twinsight(*args)
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert "Traceback" not in ran.stderr, ran.stderr
    assert "internal error" not in ran.stderr
    assert lines == [f"error: {named}: address already in use"], ran.stderr
    assert ran.returncode == 2


@pytest.mark.parametrize("command", COMMANDS)
def test_a_used_port_is_one_line_naming_the_option(
    command: str, held_port: int, tmp_path: Path
) -> None:
    refused(*COMMANDS[command](held_port, tmp_path))


@pytest.mark.parametrize("command", ["proxy --listen", "proxy --workers --listen"])
def test_a_port_another_workers_run_shares_is_refused_not_joined(
    command: str, shared_port: int, tmp_path: Path
) -> None:
    # The kernel lets every SO_REUSEPORT socket of one user onto a port: a second run
    # would silently take half the first one's clients.
    refused(*COMMANDS[command](shared_port, tmp_path))


def test_a_host_not_of_this_machine_names_host_and_port() -> None:
    ran = twinsight("example", "legacy", "--host", "192.0.2.1", "--port", "0")
    assert ran.stderr.strip() == (
        "error: --host 192.0.2.1 --port 0: cannot assign requested address "
        "(not an address of this machine)"
    )
    assert ran.returncode == 2
