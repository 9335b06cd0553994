"""`propose --minimize` over several proposals: an example two clusters share (a status
and a body difference of the same exchange) is written to each target once, not once
per cluster."""

import functools
import json
from collections import Counter
from collections.abc import Iterator

import pytest
from aiohttp import web

from tests.served import served
from twinsight.analysis.diff import Message
from twinsight.analysis.proposals import Proposal
from twinsight.analysis.proposals.evidence import Raw, Seen
from twinsight.cli.reproducers import Limits, minimize_proposals
from twinsight.spec import Scenario
from twinsight.spec.inputs import RequestView

BODY = json.dumps({"title": "x" * 40, "note": "n"}).encode()
HEADERS = (("Content-Type", "application/json"),)


def service(seen: Counter[bytes], strict: bool) -> web.Application:
    """POST /tasks: the strict one refuses a title over 8 characters."""

    async def create(request: web.Request) -> web.Response:
        body = await request.read()
        seen[body] += 1
        title = json.loads(body or b"{}").get("title", "")
        if strict and len(title) > 8:
            return web.json_response({"error": "too long"}, status=400)
        return web.json_response({"id": 1}, status=201)

    app = web.Application()
    app.router.add_post("/tasks", create)
    return app


@pytest.fixture
def servers() -> Iterator[tuple[dict[str, Counter[bytes]], dict[str, str]]]:
    seen: dict[str, Counter[bytes]] = {"legacy": Counter(), "candidate": Counter()}
    makers = [functools.partial(service, seen[n], strict=n == "legacy") for n in seen]
    with served(*makers) as urls:
        yield seen, dict(zip(seen, urls, strict=True))


def proposal(fingerprint: str, location: str, kind: str) -> Proposal:
    example = Seen(
        "e1",
        RequestView.of("POST", "/tasks", "", HEADERS, BODY),
        Message(400),
        Message(201),
        raw=Raw("", HEADERS, BODY),
    )
    scenario = Scenario.model_validate(
        {"name": fingerprint, "when": {"text": "a long title"}, "then": ["response.status == 400"]}
    )
    return Proposal(fingerprint, scenario, (), True, example, location, kind)


def test_an_example_two_clusters_share_is_written_once(
    servers: tuple[dict[str, Counter[bytes]], dict[str, str]],
) -> None:
    seen, urls = servers
    proposals = [
        proposal("c1-aaaa", "status", "changed"),
        proposal("c1-bbbb", "body.error", "missing"),
    ]
    found = minimize_proposals(proposals, urls, {}, Limits(allow_writes=True))
    assert all(f.outcome is not None and f.outcome.reproduced for f in found)
    assert json.loads(found[0].outcome.request.body) == {"title": "x" * 9}  # type: ignore[union-attr]
    for name in ("legacy", "candidate"):
        assert seen[name][BODY] == 1, f"{name}: the shared example was written twice"
        assert max(seen[name].values()) == 1, f"{name}: an identical write went twice"


def test_the_evidence_counts_what_was_sent_for_each_cluster(
    servers: tuple[dict[str, Counter[bytes]], dict[str, str]],
) -> None:
    seen, urls = servers
    proposals = [
        proposal("c1-aaaa", "status", "changed"),
        proposal("c1-bbbb", "body.error", "missing"),
    ]
    first, second = minimize_proposals(proposals, urls, {}, Limits(allow_writes=True))
    said = [
        next(e for e in f.proposal.evidence if e.startswith("smallest")) for f in (first, second)
    ]
    assert first.outcome is not None
    assert second.outcome is not None
    assert f"{first.outcome.steps} request(s) tried, {first.outcome.steps} sent" in said[0]
    assert f"{second.outcome.steps} request(s) tried, 0 sent" in said[1]
    assert sum(seen["legacy"].values()) == first.outcome.steps
