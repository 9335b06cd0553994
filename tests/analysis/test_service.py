"""The analyze shell on synthetic stores: the replica's statistical noise, volatile values."""

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from twinsight.analysis.collect import Analysis
from twinsight.analysis.installed import running_version
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Body, Exchange, Response
from twinsight.store import Redactor, StoreWriter, new_id
from twinsight.testing import JSON, get_item
from twinsight.testing import write_store as write


def written(folder: Path, exchanges: list[Exchange]) -> Path:
    """A store file in `folder` holding `exchanges`."""
    write(folder / "s.duckdb", exchanges)
    return folder / "s.duckdb"


def analyze(store: Path, **options: Any) -> Analysis:
    """`analyze_store` on a store file with the default config and no spec."""
    return analyze_store(store, None, config=Config(), spec=None, **options)


def test_a_location_noisy_on_the_replica_is_noise_even_where_they_agree_by_chance(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    exchanges = []
    for i in range(200):
        # `coin` is random per answer: legacy and replica agree half the time by chance.
        bodies = {
            t: {"coin": rng.choice(["heads", "tails"]), "item": i}
            for t in ("legacy", "replica", "candidate")
        }
        if i % 50 == 0:
            bodies["candidate"]["item"] = -1  # a real difference, 4 times
        exchanges.append(get_item(i, bodies))
    write(tmp_path / "s.duckdb", exchanges)
    analysis = analyze(tmp_path / "s.duckdb")
    assert analysis.counts["unexplained"] == 4
    assert analysis.counts["noise"] + analysis.counts["match"] == 196
    assert [(c.endpoint, c.location, c.kind, c.count) for c in analysis.clusters] == [
        ("GET /items/{id}", "body.item", "changed", 4)
    ]


def test_without_a_replica_volatile_locations_are_proposed(tmp_path: Path) -> None:
    exchanges = [
        get_item(
            i,
            {
                "legacy": {"request_id": f"req-{i}-0000000000000000a", "item": i},
                "candidate": {"request_id": f"req-{i}-0000000000000000b", "item": i},
            },
        )
        for i in range(30)
    ]
    write(tmp_path / "s.duckdb", exchanges)
    analysis = analyze(tmp_path / "s.duckdb")
    assert [(v.endpoint, v.location) for v in analysis.volatile] == [
        ("GET /items/{id}", "body.request_id")
    ]
    assert analysis.counts["unexplained"] == 30  # until a human confirms the rule


def _mixed(start: int, count: int) -> list[Exchange]:
    """Items whose candidate differs now and then: a title (unexplained), and a code on every
    item (not a secret: redacted, it would be an opaque token each side issued)."""
    exchanges = []
    for i in range(start, start + count):
        legacy = {"item": i, "title": "Buy", "code": f"tok-{i}-00000000000000a"}
        candidate = {**legacy, "code": f"tok-{i}-00000000000000b"}
        if i % 7 == 0:
            candidate["title"] = "buy"
        exchanges.append(get_item(i, {"legacy": legacy, "candidate": candidate}))
    return exchanges


def _derived(store: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as connection:
        classified = connection.execute(
            "SELECT exchange_id, candidate, endpoint, classification, reason "
            "FROM classifications ORDER BY ALL"
        ).fetchall()
        clusters = connection.execute(
            "SELECT endpoint, location, kind, exchanges, description, exchange_ids, examples, "
            "hypotheses, followers, fingerprint FROM clusters ORDER BY ALL"
        ).fetchall()
    return classified, clusters


def test_a_second_run_judges_only_new_exchanges_and_ends_as_a_full_run_would(
    tmp_path: Path,
) -> None:
    store = written(tmp_path, _mixed(0, 40))
    first = analyze(store)
    assert first.analysed == 40
    again = analyze(store)
    assert again.analysed == 0
    assert again.counts == first.counts

    write(store, _mixed(40, 30))
    later = analyze(store)
    assert later.analysed == 30
    assert sum(later.counts.values()) == 70
    incremental = _derived(store)
    assert len({row[0] for row in incremental[0]}) == 70  # each exchange classified once

    full = analyze(store, full=True)
    assert full.analysed == 70
    assert full.counts == later.counts
    assert [(v.endpoint, v.location) for v in full.volatile] == [
        (v.endpoint, v.location) for v in later.volatile
    ]
    assert _derived(store) == incremental


def test_changed_rules_judge_every_exchange_again(tmp_path: Path) -> None:
    store = written(tmp_path, _mixed(0, 20))
    first = analyze(store)
    assert first.counts["unexplained"] == 20  # the code differs everywhere
    ruled = Config.model_validate({"normalize": [{"where": "body.code", "compare": "ignore"}]})
    second = analyze_store(store, None, config=ruled, spec=None)
    assert second.analysed == 20
    assert second.counts["unexplained"] == 3  # items 0, 7 and 14: the title


def test_another_twinsight_code_judges_every_exchange_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One release installed from other sources judges otherwise: its verdicts, and the
    # evidence it kept, are not reused.
    from twinsight.analysis import incremental, kept

    store = written(tmp_path, _mixed(0, 20))
    assert analyze(store).analysed == 20
    assert analyze(store).analysed == 0
    other = f"{running_version()[:-1]}x"
    for module in (incremental, kept):
        monkeypatch.setattr(module, "running_version", lambda: other)
    again = analyze(store)
    assert again.analysed == 20
    assert again.counts["unexplained"] == 20


def test_incremental_runs_work_on_segment_folders_too(tmp_path: Path) -> None:
    from twinsight.store import SegmentSink

    folder = tmp_path / "segments"
    for start in (0, 25):
        writer = StoreWriter(SegmentSink(folder, f"w{start}"), redactor=Redactor()).start()
        for exchange in _mixed(start, 25):
            writer.submit(exchange)
        writer.close()
        analysis = analyze_store(None, folder, config=Config(), spec=None)
        assert analysis.analysed == 25
        assert sum(analysis.counts.values()) == start + 25
    assert (folder / "analysis.duckdb").exists()


def _posts(start: int, count: int) -> list[Exchange]:
    """POSTs whose candidate accepts what the legacy refuses, only for long titles."""
    exchanges = []
    for i in range(start, start + count):
        title = "x" * 150 if i % 10 == 0 else f"task {i}"
        refused = len(title) > 100
        legacy = Response("legacy", 400 if refused else 201, JSON, Body.of(b'{"ok": false}', 99))
        candidate = Response("candidate", 201, JSON, Body.of(b'{"ok": false}', 99))
        exchanges.append(
            Exchange(
                id=new_id(),
                source="proxy",
                method="POST",
                path="/tasks",
                body=Body.of(orjson.dumps({"title": title}), 1 << 20),
                responses=(legacy, candidate),
            )
        )
    return exchanges


def test_a_difference_only_long_inputs_show_is_explained_so_across_incremental_runs(
    tmp_path: Path,
) -> None:
    store = written(tmp_path, _posts(0, 30))
    first = analyze(store)
    write(store, _posts(30, 20))
    second = analyze(store)
    assert second.analysed == 20
    for analysis, clustered, others in ((first, 3, 27), (second, 5, 45)):
        (found,) = analysis.clusters
        assert found.count == clustered
        assert (
            "differs only for requests with long inputs (over 100 characters): "
            f"all {clustered} here, 0 of the endpoint's {others} other(s)"
        ) in found.hypotheses


def test_analyze_prints_proposed_rules_ready_to_paste(tmp_path: Path) -> None:
    from tests.cli.run import twinsight

    write(tmp_path / "s.duckdb", _mixed(0, 30))
    shown = twinsight("analyze", "--store", str(tmp_path / "s.duckdb"))
    assert shown.returncode == 0, shown.stderr
    assert '[[normalize]]\nwhere = "GET /items/{id} body.code"\ncompare = "shape"\n' in shown.stdout


def test_json_lines_of_an_incremental_run_equal_those_of_a_full_one(tmp_path: Path) -> None:
    import io

    store = written(tmp_path, _mixed(0, 30))
    analyze(store)
    write(store, _mixed(30, 12))
    from twinsight.report.jsonlines import JsonLines

    incremental, full = io.BytesIO(), io.BytesIO()
    later = analyze(store, on_judged=JsonLines(incremental))
    assert later.analysed == 12
    analyze(store, on_judged=JsonLines(full), full=True)
    lines = incremental.getvalue().splitlines()
    assert len(lines) == 42
    assert sorted(lines) == sorted(full.getvalue().splitlines())
    assert any(orjson.loads(line)["differences"] for line in lines)


def test_analysis_and_store_info_count_the_same_exchanges(tmp_path: Path) -> None:
    from dataclasses import replace

    from twinsight.store import open_store, store_info

    same = {"legacy": {"a": 1}, "candidate": {"a": 1}}
    items = [get_item(i, same) for i in range(3)]
    unanswered = replace(get_item(9, same), responses=())
    write(tmp_path / "s.duckdb", [*items, items[0], unanswered])  # one sent twice
    info = store_info(open_store(tmp_path / "s.duckdb"), [])
    analysis = analyze(tmp_path / "s.duckdb")
    assert (info.exchanges, info.unanswered) == (4, 1)
    assert (sum(analysis.counts.values()), analysis.unanswered) == (3, 1)


def test_mirrors_never_sent_are_left_out_and_counted_not_blamed_on_the_candidate(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    same = {"legacy": {"a": 1}, "candidate": {"a": 1}}
    items = [get_item(i, same) for i in range(4)]
    for index, kind in ((1, "unsent"), (2, "cancelled"), (3, "timeout")):
        legacy, _ = items[index].responses
        items[index] = replace(items[index], responses=(legacy, Response("candidate", error=kind)))
    write(tmp_path / "s.duckdb", items)
    analysis = analyze(tmp_path / "s.duckdb")
    counted = {name: count for name, count in analysis.counts.items() if count}
    assert counted == {"match": 1, "candidate_error": 1}  # the timeout is the candidate's
    assert sorted(analysis.left_out.values()) == [1, 1]
    assert any("never sent" in reason for reason in analysis.left_out)


def test_an_exchange_whose_legacy_answer_was_cut_short_is_left_out(tmp_path: Path) -> None:
    from dataclasses import replace

    same = {"legacy": {"a": 1}, "candidate": {"a": 1}}
    cut = get_item(1, same)
    legacy, candidate = cut.responses
    cut = replace(cut, responses=(replace(legacy, error="cancelled"), candidate))
    write(tmp_path / "s.duckdb", [get_item(0, same), cut])
    analysis = analyze(tmp_path / "s.duckdb")
    assert sum(analysis.counts.values()) == 1
    assert list(analysis.left_out.values()) == [1]
