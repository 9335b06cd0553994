"""Declared properties tried on both targets: the example keeps them, a faulty candidate
breaks each kind, and the verdict is differential."""

import asyncio

import aiohttp
from aiohttp import web

from tests.explore.conftest import AUTH, CLASSIFY, SPEC
from tests.explore.tickets import SPEC as TICKETS_SPEC
from tests.explore.tickets import Tickets
from tests.served import served
from twinsight.cli.explore import analysis_classifier
from twinsight.config import Config
from twinsight.explore import Driver, Reset, Step, Verdict
from twinsight.explore.properties import Checked, check_properties
from twinsight.explore.properties.concurrency import PARALLEL
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


def test_a_batch_at_once_has_all_its_requests_in_flight_on_each_target() -> None:
    most: list[list[int]] = []  # per target: how many were in flight as each came

    def held() -> web.Application:
        """Each request held until PARALLEL are in flight (5 s at most): how many were."""
        in_flight, full, seen = [0], asyncio.Event(), list[int]()
        most.append(seen)

        async def hold(request: web.Request) -> web.Response:
            in_flight[0] += 1
            seen.append(in_flight[0])
            if in_flight[0] >= PARALLEL:
                full.set()
            try:
                await asyncio.wait_for(full.wait(), 5)
            except TimeoutError:
                pass
            finally:
                in_flight[0] -= 1
            return web.json_response({})

        app = web.Application()
        app.router.add_get("/held", hold)
        return app

    with served(held, held) as urls, Driver((urls[0], urls[1]), lambda *_: Verdict("", "")) as d:
        sent = d.exchanges([Step("GET", "/held")] * PARALLEL, "s", parallel=PARALLEL)
    assert [(o.legacy.status, o.candidate.status) for o in sent] == [(200, 200)] * PARALLEL
    assert [max(seen) for seen in most] == [PARALLEL, PARALLEL]


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
