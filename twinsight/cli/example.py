"""`twinsight example legacy|candidate|token|files`: the bundled Task Management example."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["example_app"]

example_app = typer.Typer(
    help="Run the bundled Task Management example services.", no_args_is_help=True
)

PortOption = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
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
    host: HostOption = "127.0.0.1",
    noisy: NoisyOption = False,
) -> None:
    """Run the legacy Task Management service (aiohttp + SQLite, integer ids).

    Example: twinsight example legacy --port 8081 --db legacy.sqlite
    """
    from twinsight.examples.tasks.legacy.app import make_app
    from twinsight.examples.tasks.serve import serve

    serve(lambda: make_app(str(db) if db else ":memory:", noisy=noisy), "legacy", host, port)


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
    host: HostOption = "127.0.0.1",
    faithful: FaithfulOption = False,
    noisy: NoisyOption = False,
) -> None:
    """Run the candidate rewrite (JSON storage, UUID ids, deliberate divergences).

    Example: twinsight example candidate --port 8082 --db candidate.json
    """
    from twinsight.examples.tasks.candidate.app import make_app
    from twinsight.examples.tasks.serve import serve

    path = str(db) if db else None
    serve(lambda: make_app(path, faithful=faithful, noisy=noisy), "candidate", host, port)


@example_app.command("token")
def example_token(
    user: Annotated[str, typer.Option("--user", help="The token's subject.")] = "alice",
) -> None:
    """Print a JWT both example services accept.

    Example: curl -H "Authorization: Bearer $(twinsight example token)" localhost:8081/tasks
    """
    from twinsight.examples.tasks.auth import make_token

    sys.stdout.write(make_token(user) + "\n")


@example_app.command("files")
def example_files() -> None:
    """Print the folder holding spec.yaml, spec-plain.yaml and DIVERGENCES.md.

    Example: twinsight spec check "$(twinsight example files)/spec.yaml"
    """
    from twinsight.examples.tasks import files

    sys.stdout.write(f"{files()}\n")
