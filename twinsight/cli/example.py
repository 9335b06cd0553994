"""`twinsight example ...`: the bundled examples, Task Management (JSON) and orders (SOAP/XML)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import socket

__all__ = ["example_app"]

example_app = typer.Typer(
    help="Run the bundled example services: Task Management (JSON) and orders (SOAP/XML).",
    no_args_is_help=True,
)

PortOption = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
_HOST = "127.0.0.1"
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file \\[default: a fresh one in memory].")
]
NoisyOption = Annotated[
    bool,
    typer.Option(
        "--noisy",
        help="Stamp every answer like a real service: millisecond updated_at, ETag and "
        "Last-Modified, a request_id UUID, a salted token_hash, tags in random order "
        "(DIVERGENCES.md, the noisy variant).",
    ),
]


@example_app.command("legacy")
def example_legacy(
    port: PortOption = 8081,
    db: DbOption = None,
    host: HostOption = _HOST,
    noisy: NoisyOption = False,
) -> None:
    """Run the legacy Task Management service (aiohttp + SQLite, integer ids).

    Example: twinsight example legacy --port 8081 --db legacy.sqlite
    """
    from twinsight.examples.tasks.legacy.app import make_app
    from twinsight.examples.tasks.serve import serve

    listening = _listening(host, port)
    serve(lambda: make_app(str(db) if db else ":memory:", noisy=noisy), "legacy", listening)


def _listening(host: str, port: int) -> socket.socket:
    """The service's socket, bound before the service is made: a used port (or a host
    not of this machine) is one line naming the option, like `--port 8081: address
    already in use`."""
    from twinsight.traffic.listen import bound_socket

    option = f"--port {port}" if host == _HOST else f"--host {host} --port {port}"
    return bound_socket(option, host, port)


FaithfulOption = Annotated[
    bool,
    typer.Option(
        "--faithful",
        help="Leave out the planted regression, unexplained difference and failing reads "
        "(DIVERGENCES.md rows 6-8, and 10-12 with --noisy): a candidate ready for cutover.",
    ),
]


@example_app.command("candidate")
def example_candidate(
    port: PortOption = 8082,
    db: DbOption = None,
    host: HostOption = _HOST,
    faithful: FaithfulOption = False,
    noisy: NoisyOption = False,
) -> None:
    """Run the candidate rewrite (JSON storage, UUID ids, deliberate divergences).

    Example: twinsight example candidate --port 8082 --db candidate.json
    """
    from twinsight.examples.tasks.candidate.app import make_app
    from twinsight.examples.tasks.serve import serve

    path = str(db) if db else None
    listening = _listening(host, port)
    serve(lambda: make_app(path, faithful=faithful, noisy=noisy), "candidate", listening)


@example_app.command("token")
def example_token(
    user: Annotated[str, typer.Option("--user", help="The token's subject.")] = "alice",
) -> None:
    """Print a JWT both example services accept.

    Example: curl -H "Authorization: Bearer $(twinsight example token)" localhost:8081/tasks
    """
    from twinsight.examples.tasks.auth import make_token

    sys.stdout.write(make_token(user) + "\n")


XmlFaithfulOption = Annotated[
    bool,
    typer.Option(
        "--faithful",
        help="Leave out the planted divergences (the orders example's DIVERGENCES.md rows 6-10).",
    ),
]


@example_app.command("xml-legacy")
def example_xml_legacy(port: PortOption = 8083, host: HostOption = _HOST) -> None:
    """Run the legacy orders service (SOAP 1.1 and bare XML, numbered ids, in memory).

    Example: twinsight example xml-legacy --port 8083
    """
    from twinsight.examples.orders.legacy.app import make_app
    from twinsight.examples.tasks.serve import serve

    serve(make_app, "xml-legacy", _listening(host, port))


@example_app.command("xml-candidate")
def example_xml_candidate(
    port: PortOption = 8084,
    host: HostOption = _HOST,
    faithful: XmlFaithfulOption = False,
) -> None:
    """Run the orders rewrite (UUID ids, default namespace, deliberate divergences).

    Example: twinsight example xml-candidate --port 8084
    """
    from twinsight.examples.orders.candidate.app import make_app
    from twinsight.examples.tasks.serve import serve

    serve(lambda: make_app(faithful=faithful), "xml-candidate", _listening(host, port))


class ExampleName(StrEnum):
    """The bundled examples."""

    tasks = "tasks"
    xml = "xml"


ExampleArgument = Annotated[
    ExampleName,
    typer.Argument(help="Which example: tasks (JSON) or xml (the SOAP/XML orders service)."),
]


@example_app.command("files")
def example_files(example: ExampleArgument = ExampleName.tasks) -> None:
    """Print the folder holding an example's files.

    tasks: spec.yaml, spec-plain.yaml, DIVERGENCES.md; xml: DIVERGENCES.md, traffic.py.

    Example: twinsight spec check "$(twinsight example files)/spec.yaml"
    """
    from twinsight.examples import orders, tasks

    folder = orders.files() if example is ExampleName.xml else tasks.files()
    sys.stdout.write(f"{folder}\n")
