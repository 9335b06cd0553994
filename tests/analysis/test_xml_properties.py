"""Properties of the XML parser and walk over generated documents, each serialised in
several ways (prefixes, default namespaces, indentation)."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.xmldiff import diff_xml
from twinsight.analysis.bodies.xmlparse import Unparseable, canonical, parse_xml, rebound
from twinsight.analysis.diff import Difference


@dataclass(frozen=True)
class Tree:
    namespace: str
    local: str
    attributes: tuple[tuple[str, str], ...]
    text: str
    children: tuple["Tree", ...]


names = st.tuples(st.sampled_from(["", "urn:x", "urn:y"]), st.sampled_from(["a", "b", "c"]))
attributes = st.dictionaries(
    st.sampled_from(["id", "k", "{urn:x}q"]), st.text("ab1 <&\"'", max_size=3), max_size=2
).map(lambda d: tuple(sorted(d.items())))
leaves = st.builds(
    lambda name, attrs, text: Tree(*name, attrs, text, ()),
    names,
    attributes,
    st.text("ab1<&", max_size=3),
)
trees = st.recursive(
    leaves,
    lambda children: st.builds(
        lambda name, attrs, kids: Tree(*name, attrs, "", tuple(kids)),
        names,
        attributes,
        st.lists(children, min_size=1, max_size=4),
    ),
    max_leaves=12,
)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def serialise(tree: Tree, style: str, depth: int = 0) -> str:
    """`prefixed`: every namespace declared on the root under a prefix; `default`: a default
    namespace wherever it changes; `indented`: prefixed and pretty-printed."""
    prefixes = {"urn:x": "x", "urn:y": "yy"} if style != "default" else {}
    name = f"{prefixes[tree.namespace]}:{tree.local}" if tree.namespace in prefixes else tree.local
    declared = ""
    if depth == 0 and prefixes:
        declared = ' xmlns:x="urn:x" xmlns:yy="urn:y"'
    if style == "default":
        declared = f' xmlns="{tree.namespace}"' + (' xmlns:x="urn:x"' if depth == 0 else "")
    attrs = "".join(
        f' {"x:" + n[len("{urn:x}") :] if n.startswith("{") else n}="{escape(v)}"'
        for n, v in tree.attributes
    )
    if not tree.children:
        return f"<{name}{declared}{attrs}>{escape(tree.text)}</{name}>"
    pad = "\n" + "  " * (depth + 1) if style == "indented" else ""
    inner = "".join(pad + serialise(c, style, depth + 1) for c in tree.children)
    end = "\n" + "  " * depth if style == "indented" else ""
    return f"<{name}{declared}{attrs}>{inner}{end}</{name}>"


def parsed(tree: Tree, style: str = "prefixed") -> Any:
    root = parse_xml(serialise(tree, style).encode())
    assert not isinstance(root, Unparseable), (root, serialise(tree, style))
    return root


@given(st.binary(max_size=200) | st.text("<>/a b=\"'&;![]-?x:", max_size=60).map(str.encode))
def test_parsing_arbitrary_bytes_never_raises(body: bytes) -> None:
    result = parse_xml(body)
    assert isinstance(result, Unparseable) or isinstance(result.tag, str)


@given(trees)
def test_a_document_does_not_differ_from_itself(tree: Tree) -> None:
    assert diff_xml(parsed(tree), parsed(tree)) == []


@given(trees, st.sampled_from(["default", "indented"]))
def test_other_prefixes_default_namespaces_and_indentation_are_a_match(
    tree: Tree, style: str
) -> None:
    assert diff_xml(parsed(tree), parsed(tree, style)) == []
    assert canonical(parsed(tree)) == canonical(parsed(tree, style))


def folded(differences: list[Any]) -> Counter[tuple[str, str, Any, Any]]:
    # Keyed items are reported at the legacy's index: compare with indexes folded.
    return Counter(
        (Difference(d.location, d.kind).group, d.kind, d.legacy, d.candidate) for d in differences
    )


@given(trees, trees, st.sampled_from(["prefixed", "default"]))
def test_diff_is_symmetric_up_to_missing_and_extra(a: Tree, b: Tree, style: str) -> None:
    ours, theirs = parsed(a), parsed(b, style)
    assert folded(diff_xml(theirs, ours)) == folded([d.swapped() for d in diff_xml(ours, theirs)])


@given(trees, trees)
def test_canonically_equal_documents_do_not_differ(a: Tree, b: Tree) -> None:
    ours, theirs = parsed(a), parsed(b, "indented")
    if canonical(ours) == canonical(theirs):
        assert diff_xml(ours, theirs) == []


@given(trees, trees, st.sampled_from(["prefixed", "default", "indented"]), st.booleans())
def test_taking_the_other_documents_prefixes_changes_no_result(
    a: Tree, b: Tree, style: str, swap: bool
) -> None:
    styles = (style, "prefixed") if swap else ("prefixed", style)
    expected = diff_xml(parsed(a, styles[0]), parsed(b, styles[1]))
    with rebound(parsed(a, styles[0]), parsed(b, styles[1])) as (ours, theirs):
        assert diff_xml(ours, theirs) == expected
    assert diff_xml(parsed(a, styles[0]), parsed(b, styles[1])) == expected  # put back
