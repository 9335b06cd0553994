"""A load run: the same shape against each target in turn, one locust process each."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime

from twinsight.errors import UserError
from twinsight.store.ids import new_id
from twinsight.store.loads import LoadRow

from .plan import LoadRequest, LoadShape
from .results import RunInfo, load_rows
from .runner import locust_available, run_locust

__all__ = ["Prepare", "Progress", "run_load"]

Progress = Callable[[str, int, float], None]
"""Told (target, requests sent so far, seconds elapsed) about twice a second."""
Prepare = Callable[[str, Sequence[LoadRequest]], Sequence[LoadRequest]]
"""The requests as sent to one target (its credentials restored), from the mix."""


def run_load(
    targets: Mapping[str, str],
    requests: Sequence[LoadRequest],
    shape: LoadShape,
    progress: Progress | None = None,
    *,
    prepare: Prepare | None = None,
    secrets: Collection[str] = (),
) -> list[LoadRow]:
    """Every target of `targets` (name -> base URL) in turn under `shape`: their rows.
    `prepare` gives each target's requests; `secrets` are kept out of locust's
    environment and of any message."""
    if not requests:
        raise UserError("load: no request to send (the capture or spec gave none)")
    locust_available()
    run, started = new_id(), datetime.now(UTC)
    rows: list[LoadRow] = []
    for name, url in targets.items():

        def told(sent: int, elapsed: float, name: str = name) -> None:
            if progress is not None:
                progress(name, sent, elapsed)

        sent = prepare(name, requests) if prepare is not None else requests
        measured = run_locust(url, sent, shape, told, secrets=secrets)
        rows += load_rows(RunInfo(run, started, name, url, shape), measured)
    return rows
