"""The code's shape, held: small modules and functions, SQL only where the store is.

Import rules (who may import what, third-party borders) are import-linter contracts
in pyproject.toml; what they cannot see is checked here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "twinsight"
# The bundled example services are stand-alone programs with their own (sqlite) storage.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "examples" not in p.parts)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# Upper-case keywords, as every query here is written: prose says "select ... from" too.
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|CREATE\s+(TABLE|VIEW)|DELETE\s+FROM)\b")


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _functions(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            yield node.name, node.end_lineno - node.lineno + 1


def _strings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_the_layout_is_found() -> None:
    assert len(MODULES) > 50


def test_modules_stay_small() -> None:
    sizes = {_name(p): len(p.read_text().splitlines()) for p in MODULES}
    long = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by job): {long}"


def test_functions_fit_on_a_screen() -> None:
    long = [
        f"{_name(path)}: {name} ({lines} lines)"
        for path in MODULES
        for name, lines in _functions(path)
        if lines > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_sql_is_written_only_in_the_store() -> None:
    outside = [p for p in MODULES if "store" not in p.parts]
    holding = [_name(p) for p in outside if any(SQL.search(s) for s in _strings(p))]
    assert not holding, f"SQL outside twinsight/store: {holding}"


def test_the_sql_check_sees_sql() -> None:
    assert SQL.search("SELECT id FROM exchanges WHERE source = 'import'")
    assert not SQL.search("select the candidate from the store")


@pytest.mark.parametrize("script", sorted((PACKAGE.parent / "bench").glob("*.py")), ids=_name)
def test_benchmarks_still_import(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Benchmarks are run by hand, not by CI: a rename must not leave them broken unseen.
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
