"""From replay flags to a plan: store precedence, pacing, header overrides, run ids, outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twinsight.config import Config
from twinsight.errors import CheckFailed, UserError
from twinsight.events import ReplaySummary
from twinsight.replay.outgoing import ALL_TARGETS
from twinsight.replay.pacing import Pacing
from twinsight.replay.plan import (
    ReplayFlags,
    build_plan,
    check_format,
    choose_pacing,
    header_overrides,
    legacy_silent,
    new_run_id,
    with_store,
    with_targets,
)

TARGETS = {"legacy": "http://127.0.0.1:8081", "candidate": "http://127.0.0.1:8082"}


def configured(**sections: object) -> Config:
    return Config.model_validate({"targets": TARGETS, **sections})


def test_flag_targets_join_and_override_the_configured_ones() -> None:
    settings = with_targets(
        configured(),
        {"legacy": "http://10.0.0.1:81", "replica": None},
        ["shadow = http://10.0.0.3:83"],
        {"sample": 0.5, "max_body": None},
    )
    assert {name: str(url) for name, url in settings.targets.items()} == {
        "legacy": "http://10.0.0.1:81/",
        "candidate": "http://127.0.0.1:8082/",
        "shadow": "http://10.0.0.3:83/",
    }
    assert settings.capture.sample == 0.5
    assert settings.capture.max_body == Config().capture.max_body


def test_a_target_flag_without_a_name_is_a_usage_error() -> None:
    with pytest.raises(UserError, match="--target 'http://x': expected NAME=URL"):
        with_targets(configured(), {}, ["http://x"])


def test_store_flags_replace_the_configured_store_as_a_whole(tmp_path: Path) -> None:
    settings = configured(store={"path": str(tmp_path / "a.duckdb"), "segments": str(tmp_path)})
    assert with_store(settings, None, None) is settings
    only_file = with_store(settings, tmp_path / "b.duckdb", None).store
    assert (only_file.path, only_file.segments) == (tmp_path / "b.duckdb", None)
    only_segments = with_store(settings, None, tmp_path / "seg").store
    assert (only_segments.path, only_segments.segments) == (None, tmp_path / "seg")


def test_pacing_is_one_choice_of_three() -> None:
    assert choose_pacing(None, None, False) == Pacing()
    assert choose_pacing(None, None, True) == Pacing()
    assert choose_pacing(50, None, False) == Pacing("rate", 50)
    assert choose_pacing(None, 2, False) == Pacing("speed", 2)
    for rate, speed, asap in [(1, 2, False), (1, None, True), (None, 2, True)]:
        with pytest.raises(UserError, match="choose one of --rate, --speed"):
            choose_pacing(rate, speed, asap)
    with pytest.raises(UserError, match="--rate must be above 0"):
        choose_pacing(0, None, False)


def test_header_overrides_by_target() -> None:
    overrides = header_overrides(
        ["Authorization: Bearer A"],
        ["candidate=Authorization: Bearer B", "candidate=X-Empty:"],
        TARGETS,
    )
    assert overrides == {
        ALL_TARGETS: [("Authorization", "Bearer A")],
        "candidate": [("Authorization", "Bearer B"), ("X-Empty", "")],
    }


@pytest.mark.parametrize(
    ("headers", "headers_for"),
    [
        (["Authorization Bearer s3cret"], []),
        (["Authorization\tBearer s3cret"], []),
        ([], ["Authorization: Bearer s3cret"]),
    ],
)
def test_a_malformed_header_flag_never_prints_its_value(
    headers: list[str], headers_for: list[str]
) -> None:
    with pytest.raises(UserError) as raised:
        header_overrides(headers, headers_for, TARGETS)
    assert "Authorization" in str(raised.value)
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize(
    ("headers", "headers_for", "message"),
    [
        (["no colon"], [], "'no' (the rest not shown) is not 'Name: value'"),
        ([], ["Authorization: B"], "--header-for 'Authorization'...: expected 'TARGET=Name"),
        ([], ["replica=X-A: 1"], "--header-for 'replica': no such target"),
    ],
)
def test_bad_header_flags_are_usage_errors(
    headers: list[str], headers_for: list[str], message: str
) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        header_overrides(headers, headers_for, TARGETS)


def test_run_ids_carry_the_time_and_differ() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert re.fullmatch(r"run-20240506-070809-[0-9a-f]{4}", new_run_id(moment))
    assert len({new_run_id(moment) for _ in range(20)}) > 1


def test_formats_are_checked_by_name() -> None:
    assert check_format(None) is None
    assert check_format("har") == "har"
    with pytest.raises(UserError, match="--format 'pcap': expected one of har, mitm"):
        check_format("pcap")


def test_a_plan_from_flags() -> None:
    settings = configured(capture={"max_body": 1000})
    flags = ReplayFlags(
        sources=(Path("a.har"),),
        format="har",
        filter="request.method == 'GET'",
        speed=2,
        concurrency=4,
        sessions_by="header:X-User",
        headers_for=("candidate=Authorization: Bearer B",),
        run_id="run-1",
        correlate=False,
        timeout_s=5,
    )
    plan = build_plan(settings, flags)
    assert (plan.sources, plan.format, plan.filter, plan.timeout_s) == (
        (Path("a.har"),),
        "har",
        "request.method == 'GET'",
        5,
    )
    options = plan.options
    assert (options.run, options.pacing, options.concurrency, options.correlate) == (
        "run-1",
        Pacing("speed", 2),
        4,
        False,
    )
    assert (options.max_body, options.sessions_by) == (1000, "header:X-User")
    assert options.headers == {"candidate": [("Authorization", "Bearer B")]}
    assert build_plan(settings, ReplayFlags()).options.run.startswith("run-")
    with pytest.raises(UserError, match="--sessions-by 'user'"):
        build_plan(settings, ReplayFlags(sessions_by="user"))


def test_a_run_the_legacy_never_answered_is_a_failed_check() -> None:
    assert legacy_silent(ReplaySummary(run="r"), "http://l") is None
    silent = ReplaySummary(run="r", sent=3)
    silent.answered["candidate"] = 3
    failed = legacy_silent(silent, "http://l")
    assert isinstance(failed, CheckFailed)
    assert str(failed) == "the legacy answered none of 3 request(s): is it up at http://l?"
    silent.answered["legacy"] = 1
    assert legacy_silent(silent, "http://l") is None
