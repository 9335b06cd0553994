"""Properties of the page comparer over arbitrary bytes and generated pages, each
serialised in several ways (indentation, quotes, attribute order, void-element style)."""

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.htmldiff import diff_html_bodies


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_arbitrary_bytes_declared_html_never_raise(a: bytes, b: bytes) -> None:
    found = diff_html_bodies(a, "text/html", b, "text/html")
    assert found is None or all(d.location.startswith("body") for d in found)


pieces = st.sampled_from([*"<>/=\"' abp&;#x1\n", "<script>", "<a ", "<input name="])
markupish = st.lists(pieces, max_size=40).map("".join)


@given(markupish, markupish)
def test_arbitrary_markup_of_a_page_never_raises(a: str, b: str) -> None:
    ours, theirs = f"<!doctype html><p>.{a}".encode(), f"<html><p>.{b}".encode()
    found = diff_html_bodies(ours, None, theirs, None)
    assert found is not None
    back = diff_html_bodies(theirs, None, ours, None)
    assert back is not None
    assert sorted(map(repr, (d.swapped() for d in found))) == sorted(map(repr, back))


@dataclass(frozen=True)
class Tree:
    tag: str
    attributes: tuple[tuple[str, str], ...]
    text: str
    children: tuple["Tree", ...]


TAGS = ["div", "p", "span", "ul", "section"]
attributes = st.dictionaries(
    st.sampled_from(["id", "class", "href", "data-k", "title"]),
    st.text("ab1 <&\"'", max_size=4),
    max_size=3,
).map(lambda d: tuple(d.items()))
words = st.text("ab1<&é", max_size=4)
trees = st.recursive(
    st.builds(lambda t, a, x: Tree(t, a, x, ()), st.sampled_from(TAGS), attributes, words),
    lambda kids: st.builds(
        lambda t, a, x, k: Tree(t, a, x, tuple(k)),
        st.sampled_from(TAGS),
        attributes,
        words,
        st.lists(kids, max_size=3),
    ),
    max_leaves=12,
)


def escape(text: str, quote: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace(quote, "&#39;" if quote == "'" else "&quot;")


def render(tree: Tree, style: int, depth: int = 0) -> str:
    quote = "'" if style % 2 else '"'
    items = list(reversed(tree.attributes)) if style else list(tree.attributes)
    attrs = "".join(f" {n}={quote}{escape(v, quote)}{quote}" for n, v in items)
    text = escape(tree.text, quote).replace("é", "&eacute;" if style else "é")
    pad = "\n" + "  " * (depth + 1) if style else ""
    inner = "".join(pad + render(child, style, depth + 1) for child in tree.children)
    br = "<br/>" if style else "<br>"
    return f"<{tree.tag}{attrs}>{text}{br}{inner}{pad}</{tree.tag}>"


def document(tree: Tree, style: int) -> bytes:
    return f"<!DOCTYPE html><html><body>{render(tree, style)}</body></html>".encode()


@given(trees, st.integers(1, 2))
def test_a_page_matches_itself_and_its_reserialisations(tree: Tree, style: int) -> None:
    page = document(tree, 0)
    assert diff_html_bodies(page, "text/html", page, None) == []
    assert diff_html_bodies(page, "text/html", document(tree, style), "text/html") == []


@given(trees, trees)
def test_differences_are_symmetric(a: Tree, b: Tree) -> None:
    ab = diff_html_bodies(document(a, 0), "text/html", document(b, 1), "text/html")
    ba = diff_html_bodies(document(b, 1), "text/html", document(a, 0), "text/html")
    assert ab is not None
    assert ba is not None
    assert sorted(map(repr, (d.swapped() for d in ab))) == sorted(map(repr, ba))
