"""The example services, live on ephemeral ports in a thread of their own, and what explore
needs to judge their answers as analysis does."""

from collections.abc import Iterator

import pytest

from tests.explore.tickets import Tickets
from tests.served import served
from twinsight.cli.explore import analysis_classifier
from twinsight.config import load_config
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.explore import Classify, Driver
from twinsight.spec import Spec, load_spec

EXAMPLE = files()
SPEC: Spec = load_spec(EXAMPLE / "spec.yaml")
CLASSIFY: Classify = analysis_classifier(load_config(EXAMPLE / "twinsight.toml"), SPEC)
AUTH = [("Authorization", f"Bearer {make_token('explorer')}")]


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """Fresh legacy and candidate (reads never fail on purpose: a flaky divergence would
    not shrink), served from a thread while the test drives hypothesis synchronously."""
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "0")
    with served(make_legacy, make_candidate) as urls:
        yield urls[0], urls[1]


@pytest.fixture
def driver(services: tuple[str, str]) -> Iterator[Driver]:
    """A driver to both services, as alice's explorer, recording nothing."""
    with Driver(services, CLASSIFY, headers=AUTH) as opened:
        yield opened


@pytest.fixture
def tickets() -> Iterator[tuple[Tickets, Tickets, tuple[str, str]]]:
    """A correct legacy and a candidate whose faults each test chooses, on ephemeral ports."""
    legacy, candidate = Tickets(), Tickets()
    with served(legacy.app, candidate.app) as urls:
        yield legacy, candidate, (urls[0], urls[1])
