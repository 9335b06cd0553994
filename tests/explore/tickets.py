"""A small ticket service for property checks, correct or with chosen faults: a closed
ticket reopened (`reopen`), a close that waits between its check and its write for another
close of the same ticket so two at once both succeed (`racy`), creates that make a new ticket
each time instead of returning the one with the same title (`duplicates`), a deleted ticket
that still reads (`soft_delete`). `POST /_reset` empties it."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from aiohttp import web

RACE = 1.0
"""How long a racy close waits for a second close of its ticket: two closes sent at once
meet however loaded the machine (a fixed 10 ms sleep was a window a loaded machine's
second request missed, and three closes at once could all get in); one sent alone (one
after another) waits it out and is the only one accepted."""

VALID = {"open": {"closed", "waiting"}, "waiting": {"open", "closed"}, "closed": set()}

OPEN = """
feature: Tickets
scenarios:
  - name: Open a ticket
    when:
      text: I open a ticket
      request: {method: POST, path: /tickets}
    then:
      - It is open: response.body.state == "open"
    inputs:
      - {name: title, type: string, examples: [Printer jammed]}
"""

SPEC = (
    OPEN
    + """    properties:
      - idempotency: {description: The same title twice is one ticket, key: [title]}
  - name: Change a ticket's state
    when:
      text: I change its state
      request: {method: PATCH, path: "/tickets/{id}"}
    then:
      - It moves: response.body.state in ["open", "waiting", "closed"]
    properties:
      - state_transitions:
          valid:
            - {from: open, to: [waiting, closed]}
            - {from: waiting, to: [open, closed]}
          invalid:
            - {from: closed, to: [open, waiting]}
  - name: Close a ticket
    when:
      text: I close it
      request: {method: POST, path: "/tickets/{id}/close"}
    then:
      - It is closed: response.body.state == "closed"
    property_tests:
      - name: Closing at once is closing once
        property: final_state(parallel_execute(ops)) == final_state(sequential_execute(ops))
        generators: {operations: {size: {min: 6, max: 12}}}
      - name: Titles survive a round trip
        property: for_all(title) read(create(title)).title == title
  - name: Read a ticket
    when:
      text: I read it
      request: {method: GET, path: "/tickets/{id}"}
    then:
      - It is there: response.status == 200
"""
)


@dataclass
class Tickets:
    reopen: bool = False
    racy: bool = False
    duplicates: bool = False
    soft_delete: bool = False  # a deleted ticket still reads, as "deleted"
    resets: int = 0
    rows: dict[int, dict[str, object]] = field(default_factory=dict)
    closing: dict[int, asyncio.Event] = field(default_factory=dict)  # racy: by ticket id
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/tickets", self.create)
        app.router.add_get("/tickets/{id}", self.read)
        app.router.add_patch("/tickets/{id}", self.change)
        app.router.add_delete("/tickets/{id}", self.delete)
        app.router.add_post("/tickets/{id}/close", self.close)
        app.router.add_post("/_reset", self.reset)
        return app

    def _row(self, request: web.Request) -> dict[str, object]:
        row = self.rows.get(int(request.match_info["id"]))
        if row is None:
            raise web.HTTPNotFound(
                text='{"error": "no such ticket"}', content_type="application/json"
            )
        return row

    async def create(self, request: web.Request) -> web.Response:
        title = (await request.json()).get("title", "")
        same = [r for r in self.rows.values() if r["title"] == title]
        if same and not self.duplicates:
            return web.json_response(same[0], status=200)
        row: dict[str, object] = {"id": next(self.ids), "title": title, "state": "open"}
        self.rows[int(row["id"])] = row  # type: ignore[call-overload]
        return web.json_response(row, status=201)

    async def read(self, request: web.Request) -> web.Response:
        return web.json_response(self._row(request))

    async def change(self, request: web.Request) -> web.Response:
        row = self._row(request)
        state = (await request.json()).get("state", row["state"])
        allowed = VALID[str(row["state"])] | ({"open"} if self.reopen else set())
        if state != row["state"] and state not in allowed:
            return web.json_response({"error": "not allowed"}, status=409)
        row["state"] = state
        return web.json_response(row)

    async def close(self, request: web.Request) -> web.Response:
        row = self._row(request)
        if row["state"] == "closed":
            return web.json_response({"error": "already closed"}, status=409)
        if self.racy:
            await self._meet(int(request.match_info["id"]))  # another close gets in between
        row["state"] = "closed"
        return web.json_response(row)

    async def _meet(self, ticket: int) -> None:
        """The first close of `ticket` waits (RACE s at most) for a second; the second lets
        it go and writes at once, so any later close finds the ticket closed: exactly two
        closes at once succeed."""
        other = self.closing.get(ticket)
        if other is not None:
            other.set()
            return
        waiting = self.closing[ticket] = asyncio.Event()
        try:
            await asyncio.wait_for(waiting.wait(), RACE)
        except TimeoutError:
            pass  # alone: closed once, as a correct service would
        finally:
            del self.closing[ticket]

    async def delete(self, request: web.Request) -> web.Response:
        if self.soft_delete:
            self._row(request)["state"] = "deleted"
            return web.Response(status=204)
        self.rows.pop(int(request.match_info["id"]), None)
        return web.Response(status=204)

    async def reset(self, request: web.Request) -> web.Response:
        self.resets += 1
        self.rows.clear()
        self.ids = itertools.count(1)
        return web.json_response({"reset": True})


SEQUENCE_SPEC = (
    OPEN
    + """  - name: Read a ticket
    when:
      text: I read it
      request: {method: GET, path: "/tickets/{id}"}
      match: legacy.status == 200
    then:
      - It is there: response.status == 200
  - name: Delete a ticket
    when:
      text: I delete it
      request: {method: DELETE, path: "/tickets/{id}"}
    then:
      - It is gone: response.status == 204
"""
)
