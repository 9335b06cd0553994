"""An analysed store whose candidate answers carry markup, shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.testing import exchange, write_store

from .builders import ATTACKS


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 GET /notes/{n}: 25 agree, 5 answer a body carrying every payload on the candidate."""
    store = tmp_path_factory.mktemp("hostile") / "run.duckdb"
    exchanges = []
    for i in range(30):
        legacy = b'{"id": 1, "note": "plain"}'
        hostile = orjson.dumps({"id": 1, "note": " ".join(ATTACKS)})
        candidate = hostile if i % 6 == 0 else legacy
        exchanges.append(exchange(f"/notes/{i}", legacy=legacy, candidate=candidate))
    write_store(store, exchanges)
    analyze_store(store, None, config=Config(), spec=None)
    return store
