"""Target origins in `analyze`: learned from the base URLs the store recorded, or configured."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.origins import origins_of, target_origins
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Body, Exchange, Response
from twinsight.store import new_id
from twinsight.testing import JSON, MAX_BODY, write_store

LEGACY, CANDIDATE = "http://127.0.0.1:8081", "http://127.0.0.1:8082"


def created(i: int, legacy: str | None = LEGACY, candidate: str | None = CANDIDATE) -> Exchange:
    """POST /tasks answered by each target with a link to itself, recording where it was."""

    def answer(target: str, base: str, recorded: str | None) -> Response:
        body = orjson.dumps({"id": i, "self": f"{base}/tasks/{i}"})
        headers = (*JSON, ("Location", f"{base}/tasks/{i}"))
        return Response(target, 201, headers, Body.of(body, MAX_BODY), base_url=recorded)

    return Exchange(
        id=new_id(),
        source="proxy",
        method="POST",
        path="/tasks",
        responses=(answer("legacy", LEGACY, legacy), answer("candidate", CANDIDATE, candidate)),
    )


def test_recorded_base_urls_neutralize_each_targets_links_with_no_config(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, [created(i) for i in range(5)])
    analysis = analyze_store(store, None, config=Config(), spec=None)
    assert analysis.counts["match"] == 5, analysis.counts


def test_a_newly_recorded_base_url_judges_every_exchange_again(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, [created(i, candidate=None) for i in range(4)])
    first = analyze_store(store, None, config=Config(), spec=None)
    assert first.counts["unexplained"] == 4  # nothing says where the candidate lives
    write_store(store, [created(i) for i in range(4, 6)])
    second = analyze_store(store, None, config=Config(), spec=None)
    assert second.analysed == 6  # the candidate's address is known now: all judged again
    assert second.counts["match"] == 6


def test_a_store_written_before_base_urls_analyzes_with_configured_targets(
    tmp_path: Path,
) -> None:
    store = tmp_path / "v3.duckdb"
    write_store(store, [created(i, None, None) for i in range(3)])
    with duckdb.connect(str(store)) as connection:
        connection.execute("ALTER TABLE responses DROP COLUMN base_url")
        connection.execute("DELETE FROM schema_version WHERE version > 3")
    bare = analyze_store(store, None, config=Config(), spec=None)
    assert bare.counts["unexplained"] == 3
    configured = Config.model_validate({"targets": {"legacy": LEGACY, "candidate": CANDIDATE}})
    analysis = analyze_store(store, None, config=configured, spec=None)
    assert analysis.counts["match"] == 3


_URL = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}:{port}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["127.0.0.1", "a.internal", "b"]),
    st.integers(1, 65535),
)


@given(
    st.dictionaries(st.sampled_from(["legacy", "candidate"]), st.sets(_URL, max_size=3)),
    st.dictionaries(st.sampled_from(["legacy", "replica"]), _URL),
)
def test_origins_hold_every_recorded_and_configured_address_longest_first(
    recorded: dict[str, set[str]], configured: dict[str, str]
) -> None:
    config = Config.model_validate({"targets": configured})
    origins = target_origins(config, recorded)
    for name, urls in recorded.items():
        for url in urls:
            assert set(origins_of(url)) <= set(origins[name])
    for name, url in configured.items():
        assert set(origins_of(str(url))) <= set(origins[name])
    for names in origins.values():
        assert [len(n) for n in names] == sorted((len(n) for n in names), reverse=True)
