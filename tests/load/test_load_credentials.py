"""`twinsight load --credentials`: recorded tokens restored per target, never written out."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import orjson
import pytest

from tests.cli.run import twinsight
from tests.load.conftest import credentials_file, spec_file
from twinsight.analysis.constraints import measure_constraints
from twinsight.cli.load_credentials import restored, with_identities
from twinsight.errors import UserError
from twinsight.examples.tasks.auth import make_token
from twinsight.load import LoadRequest, LoadShape
from twinsight.load import runner as runner_module
from twinsight.records import Exchange
from twinsight.replay.credentials import Credentials
from twinsight.store.ids import new_id
from twinsight.store.loads import latest_load
from twinsight.testing import answer, write_store

SHORT = ("--duration", "2", "--users", "4")
LIMIT = "rate limit 100000 requests per minute per user"
MARKER_A, MARKER_B = "<redacted:00000000000000aa>", "<redacted:00000000000000bb>"


def _recorded(token: str) -> Exchange:
    """A GET /tasks the proxy recorded with this user's token (stored as its marker)."""
    return Exchange(
        id=new_id(), source="proxy", method="GET", path="/tasks",
        headers=(("Authorization", f"Bearer {token}"),),
        responses=(answer("legacy", []), answer("candidate", [])),
    )  # fmt: skip


def _everything_stored(store: Path) -> str:
    """Every value of every table of the store, as text."""
    connection = duckdb.connect(str(store), read_only=True)
    try:
        tables = [
            r[0] for r in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        return "\n".join(
            str(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables
        )
    finally:
        connection.close()


def test_recorded_tokens_are_restored_per_user_and_never_written_out(
    services: dict[str, str], tmp_path: Path
) -> None:
    tokens = {"alice": make_token("alice"), "bob": make_token("bob")}
    store = tmp_path / "run.duckdb"
    write_store(store, [_recorded(tokens[u]) for u in ("alice", "bob") * 10])
    credentials = credentials_file(tmp_path, store, [tokens["alice"], tokens["bob"]])
    spec = spec_file(tmp_path, f"  security:\n    - {{name: limit, requirement: {LIMIT}}}\n")
    done = twinsight(
        "load", "--legacy", services["legacy"], "--candidate", services["candidate"],
        "--store", str(store), "--spec", str(spec), "--credentials", str(credentials),
        *SHORT, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = latest_load(store, None)
    # Restored: both targets let every request in (a marker sent as a token would be 401).
    assert {r.target: set(orjson.loads(r.statuses)) for r in rows} == {
        "legacy": {"200"},
        "candidate": {"200"},
    }
    # Two users recorded, two identities under load, each locust user holding one.
    assert {r.identities for r in rows} == {2}
    assert all(set(r.who or ()) == {0, 1} for r in rows)
    assert "without a credential" not in done.stderr
    # A per-user limit is judged per identity (no user went past this one).
    (limit,) = measure_constraints([("s", "l", LIMIT, "")], rows)
    assert all("none of 2 users sent more than" in m.why for m in limit.measures)
    for secret in tokens.values():
        assert secret not in done.stdout + done.stderr
        assert secret.encode() not in store.read_bytes()
        assert secret not in _everything_stored(store)


def test_without_credentials_the_recorded_header_is_left_out_and_said(
    services: dict[str, str], tmp_path: Path
) -> None:
    store = tmp_path / "bare.duckdb"
    write_store(store, [_recorded(make_token()) for _ in range(10)])
    done = twinsight(
        "load", "--legacy", services["legacy"], "--candidate", services["candidate"],
        "--store", str(store), *SHORT, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "10 of 10 request(s) go to legacy without a credential" in done.stderr
    statuses = {r.target: set(orjson.loads(r.statuses)) for r in latest_load(store, None)}
    assert statuses == {"legacy": {"401"}, "candidate": {"401"}}


def test_each_target_gets_its_own_value_and_users_are_told_apart_by_token() -> None:
    known = Credentials(
        {MARKER_A: "Bearer alice-common", MARKER_B: "bob"},
        {"candidate": {MARKER_A: "Bearer alice-candidate"}},
    )
    mix = [
        LoadRequest("GET", "/t", "GET /t", (("Authorization", f"Bearer {MARKER_A}"),)),
        LoadRequest(
            "GET", "/t?key=" + MARKER_B, "GET /t", (("Authorization", f"Bearer {MARKER_B}"),)
        ),
        LoadRequest("GET", "/t", "GET /t"),
    ]
    numbered = with_identities(mix, known, ["legacy", "candidate"])
    assert [r.identity for r in numbered] == [0, 1, 2]
    legacy, short = restored(numbered, known, "legacy")
    candidate, _ = restored(numbered, known, "candidate")
    assert short == 0
    assert legacy[0].headers == (("Authorization", "Bearer alice-common"),)
    assert candidate[0].headers == (("Authorization", "Bearer alice-candidate"),)
    assert legacy[1].target == "/t?key=bob"
    # A token with no value: the header is left out, and its requests are one anonymous user.
    unknown = with_identities(mix[:2], Credentials(), ["legacy", "candidate"])
    assert [r.identity for r in unknown] == [0, 0]
    sent, short = restored(unknown, Credentials(), "legacy")
    assert (sent[0].headers, short) == ((), 2)


def test_locust_gets_the_credentials_in_a_private_plan_file_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "Bearer s3cret-value-for-load"
    monkeypatch.setenv("LOAD_TEST_TOKEN", secret)
    seen: dict[str, object] = {}

    def run(command: list[str], env: dict[str, str], *_: object) -> list[str]:
        plan = Path(env["TWINSIGHT_LOAD_PLAN"])
        seen.update(command=command, env=env, plan=plan, text=plan.read_text(),
                    mode=stat.S_IMODE(plan.stat().st_mode),
                    folder=stat.S_IMODE(plan.parent.stat().st_mode))  # fmt: skip
        return [f"error sending {secret}"]

    monkeypatch.setattr(runner_module, "_run", run)
    request = LoadRequest("GET", "/t", "GET /t", (("Authorization", secret),))
    with pytest.raises(UserError) as raised:
        runner_module.run_locust("http://127.0.0.1:9", [request], LoadShape(), secrets={secret})
    assert secret in str(seen["text"])  # the plan carries it to locust ...
    assert (seen["mode"], seen["folder"]) == (0o600, 0o700)  # ... readable by its owner only
    assert not Path(str(seen["plan"])).exists()  # and removed after
    assert secret not in " ".join(seen["command"])  # type: ignore[arg-type]
    assert secret not in str(seen["env"])
    assert secret not in str(raised.value)
