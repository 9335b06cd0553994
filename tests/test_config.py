from pathlib import Path

import pytest

from twinsight.config import Config, load_config
from twinsight.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "twinsight.toml"
    file.write_text(text, encoding="utf-8")
    return file


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None) == Config()


def test_a_full_file_loads(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[targets]\nlegacy = "http://127.0.0.1:8081"\ncandidate = "http://127.0.0.1:8082"\n'
            '[store]\npath = "x.duckdb"\n[redaction]\nheaders = ["X-Api-Key"]\n'
            '[[normalize]]\nwhere = "body.created_at"\ncompare = "shape"\n'
            "[readiness]\nmin_samples = 50\n",
        )
    )
    assert list(config.targets) == ["legacy", "candidate"]
    assert config.normalize[0].compare == "shape"
    assert config.readiness.min_samples == 50


def test_flags_override_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[store]\npath = "from-file.duckdb"\n'))
    changed = config.with_overrides(spec=Path("s.yaml"), store=None)
    assert changed.spec == Path("s.yaml")
    assert changed.store.path == Path("from-file.duckdb")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[targets]\nlegacy = 3\n",
            "twinsight.toml:2:1: targets.legacy: URL input should be a string or URL",
        ),
        (
            '[targets]\nLegacy = "http://x"\n',
            "targets: Value error, target name 'Legacy' must be lower-case",
        ),
        (
            "[readiness]\nmin_samples = 0\n",
            "twinsight.toml:2:1: readiness.min_samples: Input should be greater than or equal to 1",
        ),
        (
            '[[normalize]]\nwhere = "body.x"\ncompare = "fuzzy"\n',
            "twinsight.toml:3:1: normalize.compare: Input should be",
        ),
        ("[store\n", "TOML error"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_missing_named_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_flags_override_one_field_of_a_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[capture]\nsample = 0.25\nmax_body = 10\n"))
    changed = config.with_overrides(capture={"sample": 0.5, "max_body": None})
    assert changed.capture.sample == 0.5
    assert changed.capture.max_body == 10


def test_a_bad_flag_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"capture\.sample"):
        Config().with_overrides(capture={"sample": 2.0})


def test_session_by_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="session_by"):
        load_config(write(tmp_path, '[capture]\nsession_by = "ip address"\n'))
