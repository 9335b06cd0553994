"""The legacy's own order evidence read from XML answers: a list it serves shuffled for the
same request makes that list's `order` difference noise, at the location the diff names."""

from pathlib import Path

from twinsight.analysis.bodies.xmlorder import xml_lists
from twinsight.analysis.diff import DiffOptions, Message, diff_responses
from twinsight.analysis.inference import Evidence, infer
from twinsight.analysis.order import OrderEvidence

XML = (("Content-Type", "application/xml"),)
ENDPOINT = "POST /soap ListOrders"


def page(*skus: str) -> bytes:
    lines = "".join(f"<line><sku>{s}</sku></line>" for s in skus)
    return f'<o:list xmlns:o="urn:o"><o:order><lines>{lines}</lines></o:order></o:list>'.encode()


def test_lists_are_located_as_the_diff_locates_their_order() -> None:
    (found,) = xml_lists(page("a", "b", "c"), "application/xml")
    (difference,) = diff_responses(
        Message(200, XML, page("a", "b", "c")), Message(200, XML, page("c", "a", "b"))
    )
    assert difference.kind == "order"
    assert found[0] == difference.group == "body.{urn:o}list.{urn:o}order.lines.line"
    assert len(found[1]) == 3


def test_a_list_the_legacy_shuffles_for_one_request_is_unstable_order() -> None:
    evidence = OrderEvidence()
    for body in (page("a", "b", "c"), page("b", "c", "a")):
        evidence.observe_lists(ENDPOINT, b"same request", xml_lists(body, "application/xml"))
    groups = evidence.unstable().groups(ENDPOINT)
    assert groups == {"body.{urn:o}list.{urn:o}order.lines.line"}
    (difference,) = diff_responses(
        Message(200, XML, page("a", "b", "c")), Message(200, XML, page("c", "a", "b"))
    )
    assert infer(difference, Evidence(unstable=groups)) == "unstable order"


def test_a_list_served_in_one_order_stays_a_real_order_difference() -> None:
    evidence = OrderEvidence()
    for _ in range(2):
        evidence.observe_lists(ENDPOINT, b"same", xml_lists(page("a", "b"), "application/xml"))
    evidence.observe_lists(ENDPOINT, b"other", xml_lists(page("b", "a"), "application/xml"))
    assert evidence.unstable().groups(ENDPOINT) == frozenset()
    assert list(xml_lists(b"not xml", "text/plain")) == []
    assert list(xml_lists(b"<broken", "application/xml")) == []


def test_an_element_known_to_repeat_is_indexed_even_alone() -> None:
    from twinsight.analysis.bodies.locations import unindexed

    one, other = page("a"), page("a").replace(b"<sku>a</sku>", b"<sku>z</sku>")
    plain = diff_responses(Message(200, XML, one), Message(200, XML, other))
    assert [d.location for d in plain] == ["body.{urn:o}list.{urn:o}order.lines.line.sku"]
    ((group, _),) = xml_lists(page("a", "b"), "application/xml")
    known = DiffOptions(lists=frozenset({unindexed(group)}))
    found = diff_responses(Message(200, XML, one), Message(200, XML, other), known)
    # One field, one group, whether the answer held one line or several.
    assert [d.group for d in found] == ["body.{urn:o}list.{urn:o}order.lines.line[*].sku"]
    many = diff_responses(
        Message(200, XML, page("a", "b")), Message(200, XML, page("z", "b")), known
    )
    assert {d.group for d in many} == {d.group for d in found}


def test_analysis_learns_which_elements_repeat_and_keeps_one_location(tmp_path: Path) -> None:
    from twinsight.analysis.service import analyze_store
    from twinsight.config import Config
    from twinsight.records import Exchange
    from twinsight.store import Store, new_id
    from twinsight.testing import answer, write_store

    def read(i: int, legacy: bytes, candidate: bytes) -> Exchange:
        answers = (
            answer("legacy", legacy, headers=XML),
            answer("candidate", candidate, headers=XML),
        )
        return Exchange(
            id=new_id(), source="proxy", method="GET", path=f"/o/{i}", responses=answers
        )

    store = tmp_path / "run.duckdb"
    write_store(store, [read(1, page("a", "b"), page("z", "b")), read(2, page("a"), page("z"))])
    analyze_store(store, None, config=Config(), spec=None)
    with Store.open(store) as opened:
        groups = {d["location"] for v in opened.earlier_verdicts() for d in v.differences}
    assert groups == {"body.{urn:o}list.{urn:o}order.lines.line[0].sku"}
