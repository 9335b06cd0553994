"""Writing a changed spec or config: only when it loads, whole or not at all."""

import subprocess
from pathlib import Path

import pytest

from twinsight.cli.edits import Edit, author, commit_edit, diff_lines
from twinsight.errors import UserError


def test_a_change_that_would_not_load_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    file = tmp_path / "spec.yaml"
    file.write_text("feature: F\n", encoding="utf-8")
    broken = "feature: F\naccepted:\n  - where: nowhere at all\n    why: x\n"
    with pytest.raises(UserError, match=r"spec.yaml: not changed: .* would not load \(line 3"):
        commit_edit(Edit(file, "feature: F\n", broken, "spec", ["x"]))
    assert file.read_text(encoding="utf-8") == "feature: F\n"
    assert [p.name for p in tmp_path.iterdir()] == ["spec.yaml"]  # no temporary file left


def test_a_config_that_would_not_load_is_refused_too(tmp_path: Path) -> None:
    file = tmp_path / "twinsight.toml"
    file.write_text("", encoding="utf-8")
    bad = '[[normalize]]\nwhere = "body.a"\ncompare = "sideways"\n'
    with pytest.raises(UserError, match=r"twinsight\.toml: not changed"):
        commit_edit(Edit(file, "", bad, "config", ["x"]))
    assert file.read_text(encoding="utf-8") == ""


def test_a_change_that_loads_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    file = tmp_path / "twinsight.toml"
    file.write_text("# mine\n", encoding="utf-8")
    file.chmod(0o640)
    after = '# mine\n\n[[normalize]]\nwhere = "body.a"\ncompare = "ignore"\n'
    edit = Edit(file, "# mine\n", after, "config", ["x"])
    commit_edit(edit)
    assert file.read_text(encoding="utf-8") == after
    assert file.stat().st_mode & 0o777 == 0o640
    assert diff_lines(edit)[:3] == [f"--- a/{file}", f"+++ b/{file}", "@@ -1 +1,5 @@"]


def test_the_author_is_the_git_one_where_there_is_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", "Ann Example"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.email", "ann@x.test"], check=True)
    assert author(tmp_path) == "Ann Example <ann@x.test>"


def test_a_symlinked_file_is_changed_where_it_lives(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    real = tmp_path / "shared" / "twinsight.toml"
    real.write_text("# mine\n", encoding="utf-8")
    link = tmp_path / "twinsight.toml"
    link.symlink_to(real)
    after = '# mine\n\n[[normalize]]\nwhere = "body.a"\ncompare = "ignore"\n'
    commit_edit(Edit(link, "# mine\n", after, "config", ["x"]))
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == after
