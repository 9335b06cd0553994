"""bench/soak_writer.py: its exchanges follow bench/mix.lua, and a short soak stores them all."""

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "soak_writer.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_soak_writer", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_exchanges_are_the_bench_mix(bench: ModuleType) -> None:
    made = [bench.exchange(i) for i in range(10)]
    assert [e.method for e in made] == ["POST", "GET", "GET", "GET", "GET"] * 2
    assert made[3].path == "/items/3"
    assert len({e.id for e in made}) == 10
    assert {r.target for r in made[0].responses} == {"legacy", "candidate"}


@pytest.mark.parametrize("store", ["duckdb", "segments"])
def test_a_short_soak_stores_every_exchange_and_samples(
    bench: ModuleType,
    store: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [str(SCRIPT), "--minutes", "0.03", "--rate", "200", "--every", "0.5", "--store", store]
    monkeypatch.setattr(sys, "argv", [*argv, "--malloc-trim"])
    bench.main()
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "minute" not in line]
    assert len(rows) >= 3
    summary = re.search(r"^submitted ([\d,]+), dropped none$", out, re.M)
    assert summary is not None
    submitted = int(summary.group(1).replace(",", ""))
    assert submitted >= 300
    last = rows[-1].split(" | ")
    assert int(last[1].replace(",", "")) == int(last[2].replace(",", "")) == submitted


def test_settings_and_checkpoints_are_applied_and_flushes_timed(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    applied: list[str] = []
    timed_write = bench.Timed.write

    def write(self: object, tables: object, counters: object = None) -> object:
        connection = self.sink._connection  # type: ignore[attr-defined]
        row = connection.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'checkpoint_threshold'"
        ).fetchone()
        applied.append(row[0])
        return timed_write(self, tables, counters)

    monkeypatch.setattr(bench.Timed, "write", write)
    argv = [str(SCRIPT), "--minutes", "0.03", "--rate", "200", "--every", "0.5"]
    options = ["--setting", "checkpoint_threshold=2MiB", "--checkpoint-every", "2"]
    monkeypatch.setattr(sys, "argv", [*argv, *options])
    bench.main()
    out = capsys.readouterr().out
    assert applied
    assert set(applied) == {"2.0 MiB"}
    timing = re.search(r"µs per exchange; ([\d,]+) flushes, ms median [\d.]+, p99", out)
    assert timing is not None
    assert int(timing.group(1).replace(",", "")) == len(applied)
