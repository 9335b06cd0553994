"""A replay sent without the recording's credentials, analysed from a real store: the
refused pairs are `not_comparable`, never `match`; readiness counts them as missing evidence;
`analyze` says what it did not compare and why."""

from dataclasses import replace
from pathlib import Path

import duckdb

from twinsight.analysis.collect import Analysis
from twinsight.analysis.readiness_service import assess_store
from twinsight.analysis.service import analyze_store
from twinsight.config import Config, ReadinessSettings
from twinsight.records import Exchange
from twinsight.report.analysis import verdict_lines
from twinsight.store import Store
from twinsight.testing import answer, get_item
from twinsight.testing import write_store as write

MISSING = "no credential for <redacted:ab12cd34ef56ab78> (authorization): header left out"
AS_IS = "redacted cookie sent as-is"
REFUSED = {"error": "unauthorized"}


def recording(i: int) -> Exchange:
    """An imported exchange: the legacy's recorded 200, no candidate answer."""
    return replace(get_item(i, {"legacy": {"item": i}}), source="import")


def replay(recorded: Exchange, status: int, notes: tuple[str, ...] = ()) -> Exchange:
    """`recorded` replayed, both targets answering `status` with one body."""
    body = REFUSED if status == 401 else {"item": recorded.path}
    answers = tuple(answer(t, body, status=status) for t in ("legacy", "candidate"))
    return replace(
        get_item(0, {}),
        path=recorded.path,
        source="replay",
        origin=recorded.id,
        run="r1",
        responses=answers,
        replay_degraded=notes,
    )


def store(folder: Path) -> Path:
    """12 recordings: 6 replayed without credentials (401 on both sides), 2 replayed as
    recorded, 4 never replayed."""
    recordings = [recording(i) for i in range(12)]
    refused = [replay(r, 401, (MISSING,) if i % 2 else (MISSING, AS_IS)) for i, r in
               enumerate(recordings[:6])]  # fmt: skip
    faithful = [replay(r, 200) for r in recordings[6:8]]
    path = folder / "s.duckdb"
    write(path, [*recordings, *refused, *faithful])
    return path


def analyze(path: Path) -> Analysis:
    return analyze_store(path, None, config=Config(), spec=None)


def test_a_replay_refused_on_both_sides_is_not_comparable_never_match(tmp_path: Path) -> None:
    analysis = analyze(store(tmp_path))
    assert analysis.counts["not_comparable"] == 6
    assert analysis.counts["match"] == 2
    assert sum(analysis.counts.values()) == 8
    assert (analysis.unreplayed, analysis.replayed_recordings) == (4, 8)
    assert analysis.degraded_exchanges == 6
    assert analysis.degraded == {"a credential left out": 6, "a redacted value sent as-is": 3}
    with Store.open(tmp_path / "s.duckdb") as opened:
        reasons = {e.reason for e in opened.earlier_verdicts() if e.classification != "match"}
    assert len(reasons) == 1
    assert "recording was answered 200" in reasons.pop()


def test_analyze_lists_what_it_did_not_compare_with_counts(tmp_path: Path) -> None:
    text = "\n".join(verdict_lines(analyze(store(tmp_path))))
    assert "10 not compared[/], and why:" in text
    assert "     4  no candidate answer: recorded or imported, never replayed" in text
    assert "     6  not_comparable: " in text
    assert "8 recording(s) without a candidate answer were replayed" in text
    assert "degraded replay[/]: 6 replayed exchange(s)" in text
    assert "6 a credential left out, 3 a redacted value sent as-is" in text


def test_a_faithful_store_says_nothing_was_left_out(tmp_path: Path) -> None:
    write(tmp_path / "s.duckdb", [get_item(1, {"legacy": {"a": 1}, "candidate": {"a": 1}})])
    lines = verdict_lines(analyze(tmp_path / "s.duckdb"))
    assert lines[-1] == "not compared: none (every stored exchange had answers to compare)"


def test_ready_counts_them_as_missing_evidence_not_agreement(tmp_path: Path) -> None:
    path = store(tmp_path)
    policy = ReadinessSettings(min_samples=2, min_match_rate=0.5, min_scenario_samples=0)
    verdict = assess_store(path, None, config=Config(readiness=policy), spec=None)
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.exchanges == 2
    # The replayed recordings are compared through their replays; the 4 others are not.
    assert verdict.not_compared == {"no candidate answer stored": 4, "not_comparable": 6}
    agreement = next(r for r in verdict.rules if (r.rule, r.scope) == ("agreement", "overall"))
    assert agreement.interval is not None
    assert agreement.interval.n == 2
    compared = next(r for r in verdict.rules if r.scope == "compared")
    assert compared.status == "inconclusive"
    assert "2 of 12 stored exchange(s) compared" in compared.reason


def test_a_store_from_before_replay_notes_still_tells_refused_replays(tmp_path: Path) -> None:
    path = store(tmp_path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE exchanges DROP COLUMN replay_degraded")
    analysis = analyze(path)
    assert (analysis.counts["not_comparable"], analysis.counts["match"]) == (6, 2)
    assert (analysis.degraded_exchanges, analysis.degraded) == (0, {})
