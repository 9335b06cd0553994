"""Every command's `--help` at 80 columns shows every option name whole: folded onto a
second line when it must be, never cut with an ellipsis."""

import os
import subprocess
import sys

RENDER = """
import contextlib, io, typer
from twinsight.cli.app import app

def walk(command, path):
    if getattr(command, "commands", None):
        for name, sub in command.commands.items():
            yield from walk(sub, [*path, name])
    else:
        yield path

for path in walk(typer.main.get_command(app), []):
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        try:
            app([*path, "--help"])
        except SystemExit:
            pass
    for line in shown.getvalue().splitlines():
        print(" ".join(path) or "twinsight", "|", line)
"""


def test_no_option_name_is_cut_at_80_columns() -> None:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    shown = subprocess.run(
        [sys.executable, "-c", RENDER], capture_output=True, text=True, env=env, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    commands = {line.split(" | ")[0] for line in shown.stdout.splitlines()}
    assert {"proxy", "sink", "replay", "explore", "store info"} <= commands
    cut = [line for line in shown.stdout.splitlines() if "…" in line]
    assert cut == []


def test_each_commands_summary_is_one_sentence_on_one_line() -> None:
    # A listing shows the first paragraph of each command's docstring with its own line
    # breaks: a summary folded in the source reads broken there.
    import typer

    from twinsight.cli.app import app

    def walk(command: object, path: list[str]) -> list[tuple[str, str]]:
        found = [(" ".join(path), getattr(command, "help", None) or "")]
        for name, sub in (getattr(command, "commands", None) or {}).items():
            found += walk(sub, [*path, name])
        return found

    folded = [
        path
        for path, text in walk(typer.main.get_command(app), [])
        if "\n" in text.strip().split("\n\n")[0]
    ]
    assert folded == []


def test_a_command_that_renders_no_help_does_not_load_what_help_needs() -> None:
    # Typer's help renderer and rich's Markdown were a sixth of every command's start-up.
    loaded = "import sys, twinsight.cli.app; print('typer.rich_utils' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True)
    assert shown.stdout.strip() == "False", shown.stderr
