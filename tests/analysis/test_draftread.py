"""`spec new` on real stores: the draft loads, and analysis finds the legacy passing it."""

from pathlib import Path

from tests.cli.run import twinsight
from twinsight.analysis.draftread import draft_from_store
from twinsight.analysis.service import analyze_store
from twinsight.config import Config
from twinsight.records import Exchange
from twinsight.spec import load_spec
from twinsight.store import new_id
from twinsight.testing import answer, write_store


def request(method: str, path: str, legacy: object, status: int = 200) -> Exchange:
    """A request to api.test answered by the legacy and by a candidate that differs."""
    return Exchange(
        id=new_id(),
        source="proxy",
        method=method,
        path=path,
        headers=(("Host", "api.test"),),
        responses=(
            answer("legacy", legacy, status=status),
            answer("candidate", {"other": True}, status=500),
        ),
    )


def traffic() -> list[Exchange]:
    found = [
        request("GET", f"/tasks/{i}", {"id": i, "status": "pending", "title": f"t{i}"})
        for i in range(1, 7)
    ]
    found += [request("GET", f"/tasks/{i}", {"error": "no such task"}, 404) for i in (90, 91)]
    found += [request("GET", "/v1/", {"version": "1"}), request("GET", "/v1", b"", 301)]
    found += [request("POST", "/tasks", {"id": i, "status": "pending"}, 201) for i in (7, 8)]
    return found


def test_the_legacy_passes_every_drafted_line_when_analysed(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, traffic())
    read = draft_from_store(store, None)
    assert read.draft.exchanges == 12
    assert read.draft.spec.feature == "Behaviour of api.test"
    assert [s.name for s in read.draft.spec.scenarios] == [
        "GET /tasks/{id} answered 2xx",
        "GET /tasks/{id} answered 4xx",
        "GET /v1/ answered 2xx",
        "GET /v1 answered 3xx",
        "POST /tasks answered 2xx",
    ]
    analysis = analyze_store(store, None, config=Config(), spec=read.draft.spec)
    runs = {
        (r.name, r.exchanges, r.passed["legacy"], r.passed["candidate"]) for r in analysis.coverage
    }
    assert runs == {
        ("GET /tasks/{id} answered 2xx", 6, 6, 0),
        ("GET /tasks/{id} answered 4xx", 2, 2, 0),
        ("GET /v1/ answered 2xx", 1, 1, 0),
        ("GET /v1 answered 3xx", 1, 1, 0),
        ("POST /tasks answered 2xx", 2, 2, 0),
    }


def test_endpoints_patterns_keep_only_what_they_name(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, traffic())
    names = [s.name for s in draft_from_store(store, None, ["/v1*"]).draft.spec.scenarios]
    assert names == ["GET /v1/ answered 2xx", "GET /v1 answered 3xx"]
    names = [s.name for s in draft_from_store(store, None, ["POST *"]).draft.spec.scenarios]
    assert names == ["POST /tasks answered 2xx"]


def test_a_path_with_an_empty_segment_is_left_out_not_bound_with_its_neighbour(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(
        store, [request("GET", "/v1/", {"version": "1"}), request("GET", "/v1//", b"", 404)]
    )
    read = draft_from_store(store, None)
    assert [s.name for s in read.draft.spec.scenarios] == ["GET /v1/ answered 2xx"]
    assert read.left_out == ("GET /v1//",)


def test_spec_new_writes_a_draft_spec_check_loads_and_never_overwrites(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, traffic())
    out = tmp_path / "draft.yaml"
    made = twinsight("spec", "new", "--store", str(store), "--out", str(out))
    assert made.returncode == 0, made.stderr
    text = out.read_text()
    assert text.startswith("# A draft from 12 exchanges of s.duckdb by 'twinsight spec new'.\n")
    assert load_spec(out).scenarios
    checked = twinsight("spec", "check", str(out))
    assert checked.returncode == 0, checked.stderr
    assert "5 scenarios (5 bound to HTTP)" in checked.stdout
    again = twinsight("spec", "new", "--store", str(store), "--out", str(out), "--endpoints", "/v1")
    assert again.returncode != 0
    assert again.stderr.strip() == f"error: {out}: already exists; pass --force to overwrite it"
    assert out.read_text() == text
    forced = twinsight(
        "spec", "new", "--store", str(store), "--out", str(out), "--endpoints", "/v1", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert [s.name for s in load_spec(out).scenarios] == ["GET /v1 answered 3xx"]


def test_spec_new_on_a_missing_store_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    found = twinsight("spec", "new", "--store", str(missing))
    assert found.returncode != 0
    assert found.stderr.strip() == f"error: {missing}: no such store"
    assert not missing.exists()


def test_spec_new_into_a_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, traffic())
    (tmp_path / "plain").write_text("a file, not a folder")
    out = tmp_path / "plain" / "draft.yaml"
    made = twinsight("spec", "new", "--store", str(store), "--out", str(out))
    assert made.returncode == 2
    assert made.stderr.strip().startswith(f"error: {out}: cannot write the draft (")
    assert "Traceback" not in made.stderr
