"""Reading a report's rows from a real analysed store (store/reportdata.py through gather)."""

from pathlib import Path

from twinsight.config import Config
from twinsight.report.gather import gather_report, read_facts
from twinsight.store.reportdata import ReportReader

from .builders import ATTACK, verdict


def test_the_facts_of_an_analysed_store(hostile_store: Path) -> None:
    facts = read_facts(hostile_store, None, candidate="candidate", spec=None)
    assert facts.info.exchanges == 30
    # The legacy sets a cookie the candidate does not (twinsight.testing.exchange): 2 causes.
    assert [(c.endpoint, c.location, c.exchanges) for c in facts.clusters] == [
        ("GET /notes/{id}", "headers.set-cookie.sid", 30),
        ("GET /notes/{id}", "body.note", 5),
    ]
    cluster = facts.clusters[1]
    shown = [facts.examples[i] for i in cluster.exchange_ids[:3]]
    assert all(("body.note", "changed") in e.differences for e in shown)
    candidate = next(a for a in shown[0].answers if a.target == "candidate")
    assert ATTACK.encode() in bytes(candidate.body or b"")
    targets = {row.target: row.samples for row in facts.latencies}
    assert targets == {"legacy": 30, "candidate": 30}
    assert sum(t.exchanges for t in facts.timeline) == 30
    assert facts.clusters_total == (2, 35)
    assert facts.sides
    assert not facts.scenarios


def test_a_store_no_analysis_has_seen_reads_as_empty(tmp_path: Path, hostile_store: Path) -> None:
    from twinsight.testing import exchange, write_store

    store = tmp_path / "fresh.duckdb"
    write_store(store, [exchange()])
    with ReportReader(store) as reader:
        assert not reader.analysed
        assert reader.clusters() == []
        assert reader.suppressions(candidate="candidate") == []
        assert reader.latencies(legacy="legacy", candidate="candidate") == []
        assert reader.timeline(candidate="candidate") == []
        assert reader.extent(candidate="candidate") == (None, None)
        assert reader.cluster_total() == (0, 0)
        assert len(reader.sides()) == 2


def test_gather_names_the_targets_from_the_config(hostile_store: Path) -> None:
    config = Config.model_validate(
        {"targets": {"legacy": "http://old.test", "candidate": "http://new.test"}}
    )
    report = gather_report(
        hostile_store, None, verdict=verdict(), config=config, spec=None, command="twinsight x"
    )
    assert report.targets == {"legacy": "http://old.test/", "candidate": "http://new.test/"}
    example = report.clusters[1].examples[0]
    assert example.answers[1].curl.startswith("curl -X GET http://new.test/notes/")


def test_a_segment_folder_reads_its_derived_tables_beside_it(tmp_path: Path) -> None:
    from twinsight.analysis.service import analyze_store
    from twinsight.store import SegmentSink
    from twinsight.testing import exchange, write_store

    folder = tmp_path / "segments"
    write_store(SegmentSink(folder, "w1"), [exchange(f"/t/{i}") for i in range(4)])
    analyze_store(None, folder, config=Config(), spec=None)
    facts = read_facts(None, folder, candidate="candidate", spec=None)
    assert facts.info.exchanges == 4
    assert [c.location for c in facts.clusters][:1] == ["body.id"]
    assert len(facts.examples) == 3
