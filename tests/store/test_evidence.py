"""What the readiness verdict reads from a store: counts, answers, what was not compared."""

from dataclasses import replace
from pathlib import Path

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.store import SegmentSink, Store
from twinsight.testing import answer, exchange, get_item, write_store


def stored(sink: Path | SegmentSink) -> None:
    unsent = replace(answer("candidate", b""), status=None, error="unsent")
    write_store(
        sink,
        [
            *(get_item(i, {"legacy": {"n": i}, "candidate": {"n": i}}) for i in range(3)),
            get_item(9, {"legacy": {"n": 9}, "candidate": {"n": 0}}),
            get_item(10, {"legacy": {"n": 1}}),  # the candidate's answer never stored
            replace(exchange(), responses=(answer("legacy", {"id": 1}), unsent)),
        ],
    )


def test_before_and_after_an_analysis(tmp_path: Path) -> None:
    path = tmp_path / "run.duckdb"
    stored(path)
    with Store.open(path) as store:
        assert store.candidates() == ["candidate"]
        before = store.evidence("candidate")
    assert before.counts == []
    assert before.not_compared == {
        "never sent to the candidate": 1,
        "no candidate answer stored": 1,
    }
    analyze_store(path, None, config=Config(), spec=None)
    with Store.open(path) as store:
        after = store.evidence("candidate", [path])
    counts = {(c.endpoint, c.classification): c.exchanges for c in after.counts}
    assert counts == {("GET /items/{id}", "match"): 3, ("GET /items/{id}", "unexplained"): 1}
    assert [r.classification for r in after.reasons] == ["unexplained"]
    by_target = {a.target: a for a in after.answers}
    assert by_target["legacy"].answered == 4
    assert len(by_target["candidate"].latencies_ms) == 0  # the builder sets no latency
    assert [c.classifications for c in after.clusters] == [["unexplained"]]


def test_a_segment_store_reads_its_derived_tables(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    stored(SegmentSink(folder, "w1"))
    analyze_store(None, folder, config=Config(), spec=None)
    with Store.open(None, folder) as store:
        found = store.evidence("candidate", [folder])
    assert sum(c.exchanges for c in found.counts) == 4


def test_a_cause_on_several_endpoints_is_judged_on_each_by_its_share_there(
    tmp_path: Path,
) -> None:
    from twinsight.analysis.readiness import Evidence, evaluate
    from twinsight.config import ReadinessSettings
    from twinsight.records import Exchange
    from twinsight.store import new_id

    def item(prefix: str, i: int, dropped: bool) -> Exchange:
        legacy = {"n": i, "note": "x"}
        candidate = {"n": i} if dropped else legacy
        return Exchange(
            id=new_id(),
            source="proxy",
            method="GET",
            path=f"/{prefix}/{i}",
            responses=(answer("legacy", legacy), answer("candidate", candidate)),
        )

    path = tmp_path / "run.duckdb"
    write_store(
        path,
        [
            item(p, i, i < dropped)
            for p, dropped in (("a", 5), ("b", 1), ("c", 0))
            for i in range(10)
        ],
    )
    analysis = analyze_store(path, None, config=Config(), spec=None)
    (found,) = analysis.clusters
    assert found.description.startswith("On 2 of 3 endpoints, the candidate leaves out body.note")
    with Store.open(path) as store:
        after = store.evidence("candidate", [path])
    assert [
        (c.endpoint, c.exchanges, c.share, c.classifications, c.spans) for c in after.clusters
    ] == [
        ("GET /a/{id}", 5, 0.5, ["unexplained"], 2),
        ("GET /b/{id}", 1, 0.1, ["unexplained"], 2),
    ]
    verdict = evaluate(Evidence(after), ReadinessSettings(max_unexplained_share=0.2))
    judged = {r.scope: r.status for r in verdict.rules if r.rule == "unexplained"}
    assert judged == {"GET /a/{id} body.note": "fail", "GET /b/{id} body.note": "pass"}
