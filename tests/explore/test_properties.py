"""Declared properties tried on both targets: the example keeps them, a faulty candidate
breaks each kind, and the verdict is differential."""

import asyncio

import aiohttp

from tests.explore.conftest import AUTH, CLASSIFY, SPEC
from tests.explore.tickets import SPEC as TICKETS_SPEC
from tests.explore.tickets import Tickets
from twinsight.cli.explore import analysis_classifier
from twinsight.config import Config
from twinsight.explore import Driver, Reset
from twinsight.explore.properties import Checked, check_properties
from twinsight.explore.render import property_lines
from twinsight.spec import parse_spec

TICKETS = parse_spec(TICKETS_SPEC, "tickets.yaml")


def checked(urls: tuple[str, str], reset: Reset | None = None) -> dict[str, Checked]:
    classify = analysis_classifier(Config(), TICKETS)
    with Driver(urls, classify, reset=reset) as driver:
        found = check_properties(TICKETS, driver, seed=3)
    return {c.prop.name: c for c in found}


def test_the_example_services_keep_both_declared_properties(services: tuple[str, str]) -> None:
    with Driver(services, CLASSIFY, headers=AUTH) as driver:
        found = check_properties(SPEC, driver, seed=0)
    assert [c.classification for c in found] == ["match", "match"]
    transitions = next(c for c in found if "transitions" in c.prop.name)
    assert len(transitions.trials) == 11  # every listed transition, each once
    assert property_lines(found)[0] == "properties: 2 declared (2 match)"


def test_a_candidate_that_reopens_closed_tickets_breaks_the_transitions(
    tickets: tuple[Tickets, Tickets, tuple[str, str]],
) -> None:
    _, candidate, urls = tickets
    candidate.reopen = True
    found = checked(urls)['state transitions of "Change a ticket\'s state"']
    assert found.classification == "regression"
    broken = [t for t in found.trials if t.classification == "regression"]
    assert [t.what for t in broken] == ["closed -> open (invalid)"]
    assert broken[0].candidate is not None
    assert broken[0].candidate.how == "accepted it (200)"
    lines = property_lines([found])
    assert (
        "    closed -> open (invalid): regression: legacy kept it; candidate accepted it (200)"
        in lines
    )
    assert any(line.startswith("      3. PATCH /tickets/") for line in lines)


def test_closes_at_once_that_both_succeed_break_parallel_equals_sequential(
    tickets: tuple[Tickets, Tickets, tuple[str, str]],
) -> None:
    _, candidate, urls = tickets
    candidate.racy = True
    found = checked(urls)["'Closing at once is closing once' of 'Close a ticket'"]
    assert found.classification == "regression", property_lines([found])
    (trial,) = found.trials
    assert trial.candidate is not None
    assert "at once 2 change(s) accepted" in trial.candidate.how
    assert trial.legacy is not None
    assert trial.legacy.kept


def test_the_racy_candidate_lets_two_closes_at_once_succeed_however_late_the_second(
    tickets: tuple[Tickets, Tickets, tuple[str, str]],
) -> None:
    _, candidate, urls = tickets
    candidate.racy = True

    async def closes() -> list[int]:
        async with aiohttp.ClientSession(urls[1]) as http:
            async with http.post("/tickets", json={"title": "Printer jammed"}) as made:
                ticket = (await made.json())["id"]

            async def close(after: float) -> int:
                await asyncio.sleep(after)
                async with http.post(f"/tickets/{ticket}/close") as closed:
                    return closed.status

            # Sent at once, the second 50 ms late as a loaded machine may send it; a third
            # after them finds the ticket closed.
            at_once = await asyncio.gather(close(0), close(0.05))
            return [*at_once, await close(0)]

    assert asyncio.run(closes()) == [200, 200, 409]


def test_creating_twice_is_differential_and_an_unknown_test_is_named(
    tickets: tuple[Tickets, Tickets, tuple[str, str]],
) -> None:
    legacy, candidate, urls = tickets
    candidate.duplicates = True
    found = checked(urls)
    idempotent = found["idempotency of 'Open a ticket'"]
    assert idempotent.classification == "regression"
    assert idempotent.trials[0].candidate is not None
    assert idempotent.trials[0].candidate.how == "made two resources (1, then 2)"
    legacy.duplicates = True  # both break it now: the spec or both services are wrong
    assert checked(urls)["idempotency of 'Open a ticket'"].classification == "spec_conflict"
    unknown = found["'Titles survive a round trip' of 'Close a ticket'"]
    assert unknown.classification == "not_checked"
    assert unknown.skipped.startswith("only parallel_execute == sequential_execute")


def test_a_declared_reset_runs_before_each_trial(
    tickets: tuple[Tickets, Tickets, tuple[str, str]],
) -> None:
    legacy, candidate, urls = tickets
    checked(urls, Reset.of("POST /_reset", ()))
    # One idempotency trial, six transitions, one batch: eight resets on each.
    assert (legacy.resets, candidate.resets) == (8, 8)
