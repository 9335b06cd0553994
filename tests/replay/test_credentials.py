"""Credentials files read, and recorded markers restored or left out with a note."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from twinsight.errors import UserError
from twinsight.replay.credentials import load_credentials, marker_of
from twinsight.replay.engine import ReplayOptions
from twinsight.replay.outgoing import outgoing_headers
from twinsight.replay.plan import credential_warnings
from twinsight.replay.restore import restore_body, restore_header, restore_query
from twinsight.store.redaction import KEY_ENV, Redactor

A = "<redacted:00112233445566aa>"
B = "<redacted:00112233445566bb>"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_toml_and_yaml_files_give_the_same_values_per_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B_TOKEN", "bee")
    toml = write(
        tmp_path,
        "c.toml",
        f'[tokens."{A}"]\nvalue = "Bearer aye"\n[tokens.00112233445566bb]\nenv = "B_TOKEN"\n'
        f'[targets.candidate.tokens."{A}"]\nvalue = "candidate-aye"\n',
    )
    yaml = write(
        tmp_path,
        "c.yaml",
        f'tokens:\n  "{A}": "Bearer aye"\n  "{B}": {{env: B_TOKEN}}\n'
        f'targets:\n  candidate:\n    tokens:\n      "{A}": {{value: candidate-aye}}\n',
    )
    for path in (toml, yaml):
        loaded = load_credentials(path, {"legacy": 1, "candidate": 2})
        assert loaded.for_target("legacy") == {A: "Bearer aye", B: "bee"}
        assert loaded.for_target("candidate") == {A: "candidate-aye", B: "bee"}
        assert "aye" not in repr(loaded)


def test_a_command_runs_once_for_every_entry_naming_it(tmp_path: Path) -> None:
    count = tmp_path / "count"
    script = f"open({str(count)!r}, 'a').write('x'); print('  minted  ')"
    command = f'["{sys.executable}", "-c", "{script}"]'
    path = write(
        tmp_path,
        "c.toml",
        f'[tokens."{A}"]\ncommand = {command}\n'
        f'[targets.legacy.tokens."{A}"]\ncommand = {command}\n',
    )
    loaded = load_credentials(path, {"legacy": 1})
    assert loaded.for_target("legacy") == {A: "minted"}
    assert count.read_text() == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tokens."nope"]\nvalue = "x"\n', 'tokens."nope": not a redacted token'),
        (f'[tokens."{A}"]\nvalue = "x"\nenv = "Y"\n', "expected exactly one of value, env"),
        (f'[tokens."{A}"]\ncommand = "curl"\n', "command: expected a list of strings"),
        (f'[tokens."{A}"]\ncommand = ["false"]\n', "command 'false' exited 1"),
        (f'[tokens."{A}"]\nenv = "TWINSIGHT_NOT_SET_ANYWHERE"\n', "not set"),
        (f'[targets.staging.tokens."{A}"]\nvalue = "x"\n', "[targets.staging]: no such target"),
        ("[tokens\n", "not valid TOML"),
        ('[users]\nx = "y"\n', "expected only [tokens]"),
    ],
)
def test_a_wrong_file_is_named_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "c.toml", text)
    with pytest.raises(UserError) as raised:
        load_credentials(path, {"legacy": 1})
    assert message in str(raised.value)
    assert str(raised.value).startswith(str(path))
    assert "\n" not in str(raised.value)


def test_marker_keys_may_be_the_hex_digits_alone() -> None:
    assert marker_of("00112233445566aa") == A
    assert marker_of(A) == A
    assert marker_of("<redacted:0011>") is None


def test_headers_get_each_value_keep_the_scheme_and_leave_out_what_is_unknown() -> None:
    known = {A: "Bearer aye", B: "bee"}
    assert restore_header("Authorization", f"Bearer {A}", known) == ("Bearer aye", [])
    assert restore_header("Authorization", f"Token {B}", known) == ("Token bee", [])
    assert restore_header("X-Api-Key", A, {A: "k"}) == ("k", [])
    assert restore_header("Authorization", f"Bearer {A}", {}) == (
        None,
        [f"no credential for {A} (authorization): header left out"],
    )
    value, notes = restore_header("Cookie", f"sid={A}; theme=dark; csrf={B}", {B: "c"})
    assert value == "theme=dark; csrf=c"
    assert notes == [f"no credential for {A} (cookie sid): cookie left out"]


def test_query_and_body_are_escaped_for_their_kind_and_unknown_markers_noted() -> None:
    assert restore_query(f"token={A}&b={B}", {A: "a b&c"}) == (
        f"token=a+b%26c&b={B}",
        [f"no credential for {B} (query): sent as-is"],
    )
    body = f'{{"password": "{A}"}}'.encode()
    assert restore_body(body, "application/json", {A: 'p"w'}) == (b'{"password": "p\\"w"}', [])


def test_outgoing_headers_notes_an_override_of_a_redacted_header() -> None:
    recorded = (("Authorization", f"Bearer {A}"), ("Cookie", f"sid={B}"), ("Accept", "*/*"))
    overrides = {"*": [("Authorization", "Bearer admin")]}
    headers, notes = outgoing_headers(recorded, "legacy", overrides, run="r", known={B: "s"})
    assert headers["Authorization"] == "Bearer admin"
    assert headers["Cookie"] == "sid=s"
    assert notes == ["authorization from --header"]


def test_a_value_that_does_not_give_its_token_under_the_key_is_named_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "capture-key")
    redactor = Redactor()
    admin, bob = redactor.marker("admin-token"), redactor.marker("bob-token")
    minted = f'["{sys.executable}", "-c", "print(1)"]'
    path = write(
        tmp_path,
        "c.toml",
        f'[tokens."{admin}"]\nvalue = "Bearer admin-token"\n'
        f'[tokens."{bob}"]\nvalue = "admin-token"\n'  # the admin's, under bob's token
        f'[targets.legacy.tokens."{bob}"]\ncommand = {minted}\n',  # fresh: not checked
    )
    options = ReplayOptions(run="r", credentials=load_credentials(path, {"legacy": 1}))
    assert credential_warnings(options) == [
        f'warning: tokens."{bob}": its value does not give {bob} under this redaction key'
    ]
    monkeypatch.delenv(KEY_ENV)
    assert credential_warnings(options) == []  # no key: nothing to check against
