"""Endpoints: method + path template, from the spec first, otherwise inferred from traffic.

`POST /tasks/17/complete` and `POST /tasks/0b5e.../complete` are both
`POST /tasks/{id}/complete`. A segment becomes a parameter when it is shaped
like an identifier (number, uuid, hex, long token), when it is very long, or,
once traffic has been seen, when the values at its position under the same
parent vary with high cardinality whatever their shape (`/records/intro`,
`/records/kinto-tips`, user names); low-cardinality literals (`/tasks`,
`/complete`, `/v1`, `/health`) stay. A SOAP call's endpoint names its operation
after the path (`POST /soap CreateOrder`, `soapop`): every call is `POST /soap`.

An empty segment is kept (`/v1//` is not `/v1/`, nor `/a//b` `/a/b`): one framework
folds a double slash, another answers 404, so they are different requests. It never
becomes a parameter, which no empty segment fills. Only a single trailing `/` after a
named segment is dropped, so `/tasks/` is `/tasks`.

A segment is kept as sent, encoded: `/a%2Fb` is `GET /a%2Fb`, not `/a/b` (one framework
decodes before routing, another routes the raw path and answers 404, a third refuses it
with 400), nor `/a%252Fb`. Only whether it is shaped like an identifier is read from its
decoded text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from twinsight.identifiers import looks_like_id
from twinsight.spec import PathTemplate
from twinsight.spec.inputs import RequestView
from twinsight.spec.paths import path_segments

from .kept_fact import Fact
from .soapop import soap_operation

__all__ = ["Endpoints"]

PARAM = "{id}"
_EXTENSION = re.compile(r"^(.+)(\.[A-Za-z][A-Za-z0-9]{0,7})$")
LONG_SEGMENT = 64
"""Longer segments are parameters whatever their shape: no route literal is this long."""


@dataclass
class _Node:
    """A position in the tree of paths seen: how many requests reached it, what follows."""

    seen: int = 0
    children: dict[str, _Node] = field(default_factory=dict)
    wide: bool = False  # its children's segment is a parameter


class Endpoints:
    """Assigns endpoints; `templates` are the spec's (method, path template) pairs.

    A position under one parent is folded into a parameter when more than `max_literals`
    literals follow that parent, or (below the first segment, which names a resource) when
    at least `min_distinct` do and they were seen about twice each or less, or at least
    twice that many do and they were seen about four times each or less."""

    def __init__(
        self,
        templates: Sequence[tuple[str, PathTemplate]] = (),
        *,
        max_literals: int = 50,
        min_distinct: int = 5,
    ) -> None:
        # Most specific first: more literal segments win over parameters.
        self.templates = sorted(
            templates, key=lambda t: -sum(not s.startswith("{") for s in t[1].text.split("/"))
        )
        self.max_literals = max_literals
        self.min_distinct = min_distinct
        self._seen = _Node()
        self._folded = _Node()

    def learn(self, requests: Iterable[tuple[str, str]]) -> None:
        """Count the paths of `requests` (method, path), to find high-cardinality positions.

        Positions are counted over every method: `GET` and `PUT /records/intro` are
        evidence about the same segment."""
        self.learn_paths((path, 1) for _, path in requests)

    def learn_paths(self, paths: Iterable[tuple[str, int]]) -> None:
        """As `learn`, from (path, how many requests had it)."""
        for path, times in paths:
            node = self._seen
            node.seen += times
            for segment in _shape_folded(path.split("?", 1)[0]):
                node = node.children.setdefault(segment, _Node())
                node.seen += times
        self._folded = self._fold(self._seen, 0)

    def facts(self) -> Iterator[Fact]:
        """The paths counted so far, to keep for the next analysis (`restore` takes each
        back, then `learn` adds what is new)."""
        nodes = [("", self._seen)]
        while nodes:
            key, node = nodes.pop()
            yield ("path", None, key, None, None, node.seen)
            nodes.extend((f"{key}/{segment}", child) for segment, child in node.children.items())

    def restore(self, fact: Fact) -> bool:
        """Take back one fact `facts` kept; False if it is not one of this tally's. Names
        follow the paths restored at the next `learn`."""
        kind, _, key, _, _, seen = fact
        if kind != "path" or key is None or seen is None:
            return False
        node = self._seen
        for segment in key.split("/")[1:]:  # the keys of segments `facts` joined
            node = node.children.setdefault(segment, _Node())
        node.seen = seen
        return True

    def naming(self) -> list[str]:
        """What decides every name `of` gives: the templates, then each position folded into
        a parameter. Two `Endpoints` with equal namings name every request alike."""
        named = [f"{method} {template.text}" for method, template in self.templates]
        return [*named, *_wide_positions(self._folded, "")]

    def of_request(self, request: RequestView) -> str:
        """The endpoint of `request`, a SOAP call's operation included (`of`)."""
        return self.of(request.method, request.path, soap_operation(request.headers, request.body))

    def of(self, method: str, path: str, operation: str = "") -> str:
        """The endpoint of a request: `METHOD /path/{param}`, then ` operation` if any."""
        endpoint = self._of(method.upper(), path)
        return f"{endpoint} {operation}" if operation else endpoint

    def _of(self, method: str, path: str) -> str:
        bare = path.split("?", 1)[0]
        for wanted, template in self.templates:
            if wanted == method and template.match(bare) is not None:
                return f"{method} {template.text}"
        folded = []
        node: _Node | None = self._folded
        for segment in _shape_folded(bare):
            if node is not None and node.wide and segment:
                segment = PARAM
            folded.append(segment)
            node = node.children.get(segment) if node is not None else None
        return f"{method} /" + "/".join(_numbered(folded))

    def _fold(self, node: _Node, depth: int) -> _Node:
        """A copy of `node`'s tree with each high-cardinality position merged into `{id}`."""
        named = {k: c for k, c in node.children.items() if k}
        wide = self._wide([c for k, c in named.items() if k != PARAM], depth)
        children = node.children
        if wide:
            children = {PARAM: _merged(list(named.values()))}
            if "" in node.children:
                children[""] = node.children[""]
        folded = {k: self._fold(child, depth + 1) for k, child in children.items()}
        return _Node(node.seen, folded, wide)

    def _wide(self, literals: list[_Node], depth: int) -> bool:
        """Whether the literals following one parent are too many to be route names."""
        distinct = len(literals)
        if distinct > self.max_literals:
            return True
        if depth == 0 or distinct < self.min_distinct:
            return False
        # Relative to the parent's visits: a few route names that are rarely used beside
        # busy ones (`/api/login` beside `/api/v1/...`) are not a spread of values.
        seen = sum(n.seen for n in literals)
        return 2 * distinct >= seen or (distinct >= 2 * self.min_distinct and 4 * distinct >= seen)


def _wide_positions(node: _Node, path: str) -> Iterator[str]:
    """The folded path of every position under `node` whose segment is a parameter, in
    a fixed order."""
    if node.wide:
        yield path + "/"
    for segment in sorted(node.children):
        yield from _wide_positions(node.children[segment], f"{path}/{segment}")


def _merged(nodes: list[_Node]) -> _Node:
    """One node counting what `nodes` counted, their children merged by segment."""
    grouped: dict[str, list[_Node]] = {}
    for node in nodes:
        for segment, child in node.children.items():
            grouped.setdefault(segment, []).append(child)
    children = {k: _merged(group) for k, group in grouped.items()}
    return _Node(sum(n.seen for n in nodes), children)


def _shape_folded(path: str) -> list[str]:
    """The raw segments of `path` (`path_segments`), those shaped like identifiers (or very
    long) as `{id}`, an identifier before an extension as `{id}.xml`."""
    return [_shape(s) for s in path_segments(path)]


def _shape(raw: str) -> str:
    """`{id}` or `{id}.ext` if `raw` decoded is an identifier, else `raw` as sent."""
    decoded = unquote(raw)
    if len(decoded) > LONG_SEGMENT or looks_like_id(decoded):
        return PARAM
    # The extension's dot is a raw one: `17%2Exml` is no `17` with a `.xml` to route on.
    found = _EXTENSION.match(raw)
    return PARAM + found.group(2) if found and looks_like_id(unquote(found.group(1))) else raw


def _numbered(segments: list[str]) -> list[str]:
    """`{id}`, `{id2}`, ...: a template names each parameter once."""
    count = 0
    named = []
    for segment in segments:
        if segment.startswith(PARAM):
            count += 1
            if count > 1:
                segment = f"{{id{count}}}" + segment.removeprefix(PARAM)
        named.append(segment)
    return named
