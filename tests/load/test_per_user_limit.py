"""A per-user rate limit measured for real: a service limiting each bearer token, two users."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.cli.run import twinsight
from tests.load.conftest import credentials_file, spec_file
from twinsight.analysis.constraints import measure_constraints
from twinsight.records import Exchange
from twinsight.store.ids import new_id
from twinsight.store.loads import latest_load
from twinsight.testing import answer, write_store

PER_SECOND = 5
LIMIT = f"rate limit {PER_SECOND} requests per second per user"
TOKENS = ["alpha-user-token-1", "beta-user-token-2"]


class _Limited(BaseHTTPRequestHandler):
    """Answers 200 to each token's first PER_SECOND requests of each second, 429 after;
    with `shared` set, one count for every token (a limit per service, not per user)."""

    protocol_version = "HTTP/1.1"
    counts: ClassVar[dict[tuple[str, int], int]] = {}
    shared = False
    lock = threading.Lock()

    def do_GET(self) -> None:
        who = "" if self.shared else self.headers.get("Authorization", "")
        with self.lock:
            key = (who, int(time.time()))
            self.counts[key] = self.counts.get(key, 0) + 1
            refused = self.counts[key] > PER_SECOND
        body = b"{}"
        self.send_response(429 if refused else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def limited() -> Iterator[tuple[tuple[str, str], list[type[_Limited]]]]:
    """A legacy and a candidate with counts of their own: one server for both would count
    the legacy's last requests against the candidate's first within the same second."""
    handlers = [type("Handler", (_Limited,), {"counts": {}, "shared": False}) for _ in "lc"]
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for handler in handlers]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        legacy, candidate = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield (legacy, candidate), handlers
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _store(folder: Path) -> Path:
    store = folder / "limited.duckdb"
    recorded = [
        Exchange(
            id=new_id(), source="proxy", method="GET", path="/limited",
            headers=(("Authorization", f"Bearer {token}"),),
            responses=(answer("legacy", {}), answer("candidate", {})),
        )
        for token in TOKENS * 5
    ]  # fmt: skip
    write_store(store, recorded)
    return store


def _load(urls: tuple[str, str], folder: Path, store: Path) -> str:
    credentials = credentials_file(folder, store, TOKENS)
    spec = spec_file(folder, f"  security:\n    - {{name: limit, requirement: {LIMIT}}}\n")
    done = twinsight(
        "load", "--legacy", urls[0], "--candidate", urls[1], "--store", str(store),
        "--spec", str(spec),
        "--credentials", str(credentials), "--users", "2", "--rate", "30", "--duration", "3",
        timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_user_refused_past_its_own_limit_meets_it(
    limited: tuple[tuple[str, str], list[type[_Limited]]], tmp_path: Path
) -> None:
    urls, _ = limited
    store = _store(tmp_path)
    _load(urls, tmp_path, store)
    rows = latest_load(store, None)
    (result,) = measure_constraints([("security", "limit", LIMIT, "")], rows)
    for measure in result.measures:
        assert measure.status == "met", measure.why
        assert "each of 2 of 2 users that sent more than 5 per 1s was refused" in measure.why


def test_a_limit_shared_by_every_user_misses_a_per_user_one(
    limited: tuple[tuple[str, str], list[type[_Limited]]], tmp_path: Path
) -> None:
    urls, handlers = limited
    for handler in handlers:
        handler.shared = True  # both users counted as one: each is refused before its own 5
    store = _store(tmp_path)
    _load(urls, tmp_path, store)
    (result,) = measure_constraints([("security", "limit", LIMIT, "")], latest_load(store, None))
    for measure in result.measures:
        assert measure.status == "missed", measure.why
        assert "was refused after" in measure.why
