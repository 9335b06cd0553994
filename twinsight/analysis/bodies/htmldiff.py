"""HTML pages compared on what they show: text, links, forms, headings, scripts by digest.

Pure functions. Two pages (see `htmlparse` for which bodies are pages) are walked
together from their `html` elements; each element pair compares its facts (see
`htmlpage`): its own visible text, each attribute, and for scripts, styles, templates and
noscript blocks their content by digest. An element one side lacks is one `missing` or
`extra` difference showing it. Kinds are jsondiff's `changed`, `missing`, `extra`.
Re-indented markup, other attribute order or quotes, `<br>` or `<br/>`, an entity or its
character: the same page, no difference.

Locations extend the JSON paths with a DOM path, from `body.html`:

- an element is `tag`, `tag#id` (its id), `tag.class` (its first class, alphabetically)
  or, for form fields (and `meta`, `link`, `iframe`, ...), `tag[name=value]` (the
  attribute the server or browser keys it by); ids and classes holding a digit or looking
  random are not used;
- siblings of one label are indexed from 0, `li[2]`, when either side has more than one
  (so groups fold them: `li[*]`);
- `.@name` is an attribute; the element's own location holds its text (or digest);
  `.#literal[i]` a literal of a script or style that differs from the other side's only
  in literals (see `htmlscript`).

`body.html.body.main#content.form#login.input[name=csrf].@value` is a CSRF field's
token (a fresh token per exchange is inferred `opaque` as anywhere else),
`body.html.head.script[1].@nonce` a script's nonce, `body.html.body.h1` a heading's
text, `body.html.body.nav.ul.li[2].a.@href` a link's target. A rule's glob addresses
them: `body.*form#login*csrf*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from .difference import BodyDifference, presence
from .htmlpage import HASHED, children, facts, label, shown
from .htmlparse import claims_html, parse_html
from .htmlscript import CODE, changed_literals, literals

__all__ = ["diff_html", "diff_html_bodies", "html_strings"]

_ROOT = "body.html"
_INDEX = re.compile(r"\[\d+\]")


def diff_html_bodies(
    legacy: bytes,
    legacy_type: str | None,
    candidate: bytes,
    candidate_type: str | None,
    *,
    lists: frozenset[str] = frozenset(),
) -> list[BodyDifference] | None:
    """The differences of two pages; None when either body is not a page (or is too big, or
    not text): they are compared otherwise."""
    if not (claims_html(legacy, legacy_type) and claims_html(candidate, candidate_type)):
        return None
    a = parse_html(legacy, legacy_type)
    b = parse_html(candidate, candidate_type) if a is not None else None
    if a is None or b is None:
        return None
    return diff_html(a, b)


def diff_html(a: Any, b: Any) -> list[BodyDifference]:
    """Every atomic difference from root element `a` (the legacy's) to `b` (the candidate's)."""
    found: list[BodyDifference] = []
    pending = [(a, b, _ROOT)]
    while pending:  # a loop, not recursion: a page may nest deeper than the stack
        x, y, location = pending.pop()
        markup = etree.tostring(x, with_tail=False)
        # One markup, one meaning: most of a page takes this path. Unless XML wrote a
        # character it cannot hold (a control character) as U+FFFD: then facts decide.
        if markup == etree.tostring(y, with_tail=False) and b"&#xFFFD;" not in markup:
            continue
        differences = list(_facts(facts(x, location), facts(y, location)))
        if x.tag in CODE:
            differences = _in_literals(x, y, location, differences)
        found.extend(differences)
        if x.tag in HASHED:
            continue
        pairs = list(_children(children(x), children(y), location, found))
        pending.extend(reversed(pairs))
    return found


def _children(
    ours: list[Any], theirs: list[Any], location: str, found: list[BodyDifference]
) -> Iterator[tuple[Any, Any, str]]:
    """Child pairs to walk, by label then index; an unpaired child is a difference."""
    by_label_a, by_label_b = _by_label(ours), _by_label(theirs)
    for name in {**by_label_a, **by_label_b}:
        items_a, items_b = by_label_a.get(name, []), by_label_b.get(name, [])
        indexed = len(items_a) > 1 or len(items_b) > 1
        for i in range(max(len(items_a), len(items_b))):
            at = f"{location}.{name}" + (f"[{i}]" if indexed else "")
            if i >= len(items_b):
                found.append(BodyDifference(at, "missing", shown(items_a[i]), None))
            elif i >= len(items_a):
                found.append(BodyDifference(at, "extra", None, shown(items_b[i])))
            else:
                yield items_a[i], items_b[i], at


def _in_literals(
    x: Any, y: Any, location: str, found: list[BodyDifference]
) -> list[BodyDifference]:
    """A script's digest difference as its differing literals, when only they differ."""
    digest = next((d for d in found if d.location == location and d.kind == "changed"), None)
    changed = None if digest is None else changed_literals(x.text or "", y.text or "")
    if changed is None:
        return found
    summary = "the same script but for this literal"
    literal = [
        BodyDifference(f"{location}.#literal[{i}]", "changed", a, b, summary) for i, a, b in changed
    ]
    return [d for d in found if d is not digest] + literal


def _by_label(elements: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for element in elements:
        groups.setdefault(label(element), []).append(element)
    return groups


def _facts(ours: dict[str, str], theirs: dict[str, str]) -> Iterator[BodyDifference]:
    for location in {**ours, **theirs}:
        yield from presence(location, ours.get(location), theirs.get(location))


def html_strings(body: bytes, content_type: str | None) -> Iterator[tuple[str, str]]:
    """Every fact of a page with its location group (`body.html.body.ul.li[*]`), as
    `diff_html` names them when both sides have the same siblings; nothing for other bodies."""
    if not claims_html(body, content_type):
        return
    root = parse_html(body, content_type)
    if root is None:
        return
    pending = [(root, _ROOT)]
    while pending:
        element, location = pending.pop()
        for at, value in facts(element, location).items():
            yield _INDEX.sub("[*]", at), value
        if element.tag in CODE:
            for value in literals(element.text or "")[1]:
                yield _INDEX.sub("[*]", location) + ".#literal[*]", value
        if element.tag in HASHED:
            continue
        for name, items in _by_label(children(element)).items():
            suffix = "[*]" if len(items) > 1 else ""
            pending.extend((item, f"{location}.{name}{suffix}") for item in items)
