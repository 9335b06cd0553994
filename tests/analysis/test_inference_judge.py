"""Inferred noise in judging: only when no replica answered, labelled `inferred: ...`; and the
bundled example judged with no `twinsight.toml` (no normalization rules)."""

import asyncio
from collections import Counter
from pathlib import Path

import orjson
import pytest

from twinsight.analysis.diff import Message
from twinsight.analysis.inference import TokenEvidence
from twinsight.analysis.judge import Judge
from twinsight.analysis.load import read_exchanges, rules_from
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import SESSION
from twinsight.records import Exchange
from twinsight.spec import load_spec
from twinsight.spec.inputs import RequestView
from twinsight.store import Store, new_id
from twinsight.testing import answer as stored_answer
from twinsight.testing import write_store

NOW = 1_796_032_800.0
UUID = "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"
REQUEST = RequestView.of("GET", "/tasks/17", "", (), b"")


def answer(body: dict[str, object], sent_at: float | None = NOW) -> Message:
    return Message(200, body=orjson.dumps(body), latency_ms=40, sent_at=sent_at)


def test_without_a_replica_ids_times_and_tokens_are_inferred_noise() -> None:
    judge = Judge(correlated={"candidate": frozenset({("17", UUID)})})
    legacy = answer({"id": 17, "at": "2026-11-30T10:00:00Z", "etag": "9f86d081884c7d65"})
    candidate = answer({"id": UUID, "at": "2026-11-30T10:00:01Z", "etag": "2c26b46b68ffc68f"})
    judgement = judge.judge(REQUEST, legacy, candidate)
    assert {j.difference.location: j.noise for j in judgement.differences} == {
        "body.id": "inferred: correlated id",
        "body.at": "inferred: time",
        "body.etag": "inferred: opaque",
    }
    assert all(j.inferred for j in judgement.differences)
    assert judgement.verdict.classification == "noise"
    assert judgement.verdict.reason.startswith("3 noise difference(s) (3 inferred), e.g. inferred:")


def test_a_real_difference_beside_inferred_noise_stays_unexplained() -> None:
    judge = Judge(correlated={"candidate": frozenset({("17", UUID)})})
    legacy = answer({"id": 17, "at": "2026-11-30T10:00:00Z", "status": "pending"})
    candidate = answer({"id": UUID, "at": 1_796_032_800, "status": "pending"})
    judgement = judge.judge(REQUEST, legacy, candidate)
    noise = {j.difference.location: j.noise for j in judgement.differences}
    assert noise == {"body.id": "inferred: correlated id", "body.at": None}  # ISO became epoch
    assert judgement.verdict.classification == "unexplained"


def test_correlations_of_another_candidate_do_not_count() -> None:
    judge = Judge(correlated={"other": frozenset({("17", UUID)})})
    judgement = judge.judge(REQUEST, answer({"id": 17}), answer({"id": UUID}))
    assert judgement.verdict.classification == "unexplained"


def test_with_a_replica_only_learned_ids_are_inferred() -> None:
    # The replica answered like the legacy: times and tokens are not assumed noise. Ids the
    # traffic correlated are still equal: a replica makes the legacy's own ids, it cannot
    # show them.
    judge = Judge(correlated={"candidate": frozenset({("17", UUID)})})
    legacy = answer({"id": 17, "at": "2026-11-30T10:00:00Z", "next": "/tasks/17?t=a1"})
    candidate = answer({"id": UUID, "at": "2026-11-30T10:00:01Z", "next": f"/tasks/{UUID}?t=a1"})
    judgement = judge.judge(REQUEST, legacy, candidate, replica=legacy)
    noise = {j.difference.location: j.noise for j in judgement.differences}
    assert noise == {
        "body.id": "inferred: correlated id",
        "body.at": None,
        "body.next": "inferred: correlated id",
    }
    assert judgement.verdict.classification == "unexplained"


def test_with_a_replica_times_are_inferred_where_the_replica_showed_them_volatile() -> None:
    # The replica stamped the same millisecond as the legacy this time, not the candidate;
    # in other exchanges it differed there: a volatile location, this is its noise.
    volatile = {"GET /tasks/{id}": frozenset({"body.at"})}
    judge = Judge(replica_volatile=volatile)
    legacy = answer({"at": "2026-11-30T10:00:00.001Z", "title": "a"})
    candidate = answer({"at": "2026-11-30T10:00:00.002Z", "title": "b"})
    judgement = judge.judge(REQUEST, legacy, candidate, replica=legacy, endpoint="GET /tasks/{id}")
    noise = {j.difference.location: j.noise for j in judgement.differences}
    assert noise == {"body.at": "inferred: time", "body.title": None}
    elsewhere = judge.judge(REQUEST, legacy, candidate, replica=legacy, endpoint="GET /other")
    assert [j.noise for j in elsewhere.differences] == [None, None]


def test_rules_come_before_inference() -> None:
    rules = rules_from([], None)
    judge = Judge(rules=rules, correlated={"candidate": frozenset({("17", UUID)})})
    judgement = judge.judge(REQUEST, answer({"id": 17}), answer({"id": UUID}))
    assert judgement.differences[0].noise == "inferred: correlated id"


def test_times_without_a_recorded_start_are_real() -> None:
    legacy = answer({"at": "2026-11-30T10:00:00Z"}, sent_at=None)
    candidate = answer({"at": "2026-11-30T10:00:01Z"}, sent_at=None)
    assert Judge().judge(REQUEST, legacy, candidate).verdict.classification == "unexplained"


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("example") / "run.duckdb"
    asyncio.run(capture_example_session(store))
    return store


def _classifications(store: Path, *, infer: bool) -> list[str]:
    spec = load_spec(files() / "spec.yaml")
    with Store.open(store) as opened:
        correlated = opened.correlations() if infer else {}
        judge = Judge(spec=spec, rules=rules_from([], spec), correlated=correlated)
        return [
            judge.judge(
                s.request, s.answers["legacy"], s.answers["candidate"]
            ).verdict.classification
            for s in read_exchanges(opened)
        ]


def test_the_example_without_its_config(example_store: Path) -> None:
    with Store.open(example_store) as opened:
        pairs = opened.correlations()
    assert set(pairs) == {"candidate"}
    assert pairs["candidate"]
    assert all(a.isdigit() and len(b) == 36 for a, b in pairs["candidate"])
    before = Counter(_classifications(example_store, infer=False))
    after = _classifications(example_store, infer=True)
    assert before["unexplained"] == 17
    # What is left: the planted idempotent delete. A task created but never named again is
    # no longer unexplained: its pair is kept with the create that handed it out.
    assert Counter(after)["unexplained"] == 1
    planted = {i for i, step in enumerate(SESSION) if step.expect != "noise"}
    assert [after[i] for i in sorted(planted)] == [SESSION[i].expect for i in sorted(planted)]


def test_analyze_without_config_passes_the_learned_pairs(
    example_store: Path, tmp_path: Path
) -> None:
    import shutil

    from twinsight.analysis.service import analyze_store
    from twinsight.config import Config

    store = tmp_path / "run.duckdb"
    shutil.copy(example_store, store)
    analysis = analyze_store(store, None, config=Config(), spec=load_spec(files() / "spec.yaml"))
    assert analysis.counts["unexplained"] == 1
    assert analysis.counts["noise"] == Counter(s.expect for s in SESSION)["noise"]


# opaque tokens the legacy itself repeats: digests of the content, not nonces

DIGEST = "9f86d081884c7d65"  # what the legacy serves for this task every time


def test_a_token_the_legacy_repeated_is_not_opaque_noise() -> None:
    judge = Judge(repeated={"GET /tasks/{id}": frozenset({"body.etag"})})
    legacy, candidate = answer({"etag": DIGEST}), answer({"etag": "2c26b46b68ffc68f"})
    judgement = judge.judge(REQUEST, legacy, candidate, endpoint="GET /tasks/{id}")
    assert [j.noise for j in judgement.differences] == [None]
    assert judgement.verdict.classification == "unexplained"
    other = judge.judge(REQUEST, legacy, candidate, endpoint="GET /lists/{id}")
    assert [j.noise for j in other.differences] == ["inferred: opaque"]


def test_token_evidence_is_a_value_served_in_two_exchanges() -> None:
    tokens = TokenEvidence()
    headers = (("ETag", DIGEST), ("X-Request-Id", "3d4f5a6b7c8d9e0f"))
    tokens.observe("GET /tasks/{id}", Message(200, headers, orjson.dumps({"etag": DIGEST})))
    assert tokens.repeated() == {}  # once in one answer, body and header alike
    headers = (("ETag", DIGEST), ("X-Request-Id", "0f9e8d7c6b5a4f3d"))
    tokens.observe("GET /tasks/{id}", Message(200, headers, orjson.dumps({"etag": DIGEST})))
    tokens.observe("GET /lists/{id}", Message(200, body=orjson.dumps({"etag": DIGEST})))
    assert tokens.repeated() == {"GET /tasks/{id}": frozenset({"headers.etag", "body.etag"})}


def test_token_evidence_reads_xml_answers_too() -> None:
    tokens = TokenEvidence()
    xml = (("Content-Type", "application/xml"),)
    for nonce in ("3d4f5a6b7c8d9e0f3d4f", "0f9e8d7c6b5a4f3d0f9e"):
        body = f'<order nonce="{nonce}"><digest>{DIGEST}</digest></order>'.encode()
        tokens.observe("GET /orders/{id}", Message(200, xml, body))
    # The digest came twice: a digest of the content; the nonce did not repeat.
    assert tokens.repeated() == {"GET /orders/{id}": frozenset({"body.order.digest"})}


def read_task(legacy: str, candidate: str) -> Exchange:
    responses = (
        stored_answer("legacy", {"etag": legacy}),
        stored_answer("candidate", {"etag": candidate}),
    )
    return Exchange(id=new_id(), source="proxy", method="GET", path="/tasks/1", responses=responses)


def test_a_wrong_deterministic_digest_stays_a_divergence(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    # The legacy answers the same digest for the same task; the candidate another one each time.
    write_store(
        store, [read_task(DIGEST, "2c26b46b68ffc68f"), read_task(DIGEST, "fcde2b2edba56bf4")]
    )
    analysis = analyze_store(store, None, config=Config(), spec=None)
    assert analysis.counts["unexplained"] == 2
    # Fresh tokens on the legacy's side are still inferred noise.
    fresh = tmp_path / "fresh.duckdb"
    write_store(
        fresh, [read_task(DIGEST, "2c26b46b68ffc68f"), read_task("a4c9e1f07b3d5286", DIGEST)]
    )
    assert analyze_store(fresh, None, config=Config(), spec=None).counts["noise"] == 2


def test_token_evidence_reads_form_and_calendar_answers_too() -> None:
    tokens = TokenEvidence()
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    calendar = (("Content-Type", "text/calendar"),)
    for nonce in ("3d4f5a6b7c8d9e0f3d4f", "0f9e8d7c6b5a4f3d0f9e"):
        body = f"digest={DIGEST}&nonce={nonce}".encode()
        tokens.observe("POST /sign", Message(200, form, body))
        event = f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:{nonce}\r\nX-HASH:{DIGEST}\r\n"
        tokens.observe(
            "GET /cal", Message(200, calendar, (event + "END:VEVENT\r\nEND:VCALENDAR\r\n").encode())
        )
    assert tokens.repeated() == {
        "POST /sign": frozenset({"body.digest"}),
        "GET /cal": frozenset({"body.VCALENDAR.VEVENT[*].X-HASH"}),
    }


def test_only_a_replica_that_answered_like_the_legacy_shows_volatile_values() -> None:
    legacy = answer({"at": "2026-11-30T10:00:00.001Z", "n": 1})
    alike = answer({"at": "2026-11-30T10:00:00.002Z", "n": 1})
    failed = Message(503, body=orjson.dumps({"at": "2026-11-30T10:00:00.003Z", "n": 1}))
    judge = Judge()
    assert judge.judge(REQUEST, legacy, legacy, replica=alike).replica_changed == {"body.at"}
    assert judge.judge(REQUEST, legacy, legacy, replica=failed).replica_changed == frozenset()


def test_a_replica_reordering_a_list_shows_it_volatile_too() -> None:
    legacy = answer({"tags": ["a", "b", "c"]})
    shuffled = answer({"tags": ["c", "a", "b"]})
    assert Judge().judge(REQUEST, legacy, legacy, replica=shuffled).replica_changed == {"body.tags"}


def test_a_location_the_replica_showed_volatile_on_another_endpoint_counts_here() -> None:
    from twinsight.analysis.judge import ANY_ENDPOINT

    judge = Judge(
        replica_volatile={"GET /a": frozenset({"body.at"}), ANY_ENDPOINT: frozenset({"body.at"})}
    )
    legacy = answer({"at": "2026-11-30T10:00:00.001Z"})
    candidate = answer({"at": "2026-11-30T10:00:00.002Z"})
    found = judge.judge(REQUEST, legacy, candidate, replica=legacy, endpoint="POST /b")
    assert [j.noise for j in found.differences] == ["inferred: time"]
