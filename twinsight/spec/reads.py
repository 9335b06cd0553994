"""What expressions read, so an exchange is handed to CEL with only those parts.

Converting an exchange's variables into a CEL context is the costly part of a
check (~60 µs for a small exchange here, ~6 µs for the few fields a spec reads).
`Reads` collects, from every expression of a spec, the field chains they use
(`response.body.title`, `response.headers["location"]`) and the variables they
use whole, and `prune` keeps exactly that. When in doubt it keeps more: a chain
that ends in a call (`.all(`, `.contains(`), a key it cannot read, or a variable
used any other way keeps the whole value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from twinsight.spec.chains import blank_strings, field_chains
from twinsight.spec.expressions import CheckResult, Evaluation

__all__ = ["CheckMemo", "Reads", "spec_reads"]

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
Chain = tuple[str, ...]
Trie = dict[str, "Trie"]


@dataclass(frozen=True)
class Reads:
    """Field chains read, and variables read whole, by a set of expressions."""

    chains: frozenset[Chain]
    whole: frozenset[str]

    @classmethod
    def of(cls, sources: Iterable[str]) -> Reads:
        """What `sources` read, taken together."""
        chains: set[Chain] = set()
        whole: set[str] = set()
        for source in sources:
            found_chains, found_whole = _reads(source)
            chains |= found_chains
            whole |= found_whole
        return cls(frozenset(chains), frozenset(whole))

    @functools.cached_property
    def _trie(self) -> dict[str, Trie]:
        """Chains as nested dicts; an empty dict means "keep the whole value here"."""
        root: dict[str, Trie] = {}
        for chain in sorted(self.chains, key=len):
            node = root
            for index, part in enumerate(chain):
                if part in node and not node[part]:
                    break  # an ancestor is kept whole already
                if index == len(chain) - 1:
                    node[part] = {}
                else:
                    node = node.setdefault(part, {"": {}})
        for name in self.whole:
            root[name] = {}
        return root

    def prune(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        """`variables` with only what the expressions read (never less)."""
        trie = self._trie
        return {name: _take(value, trie[name]) for name, value in variables.items() if name in trie}


def _reads(source: str) -> tuple[set[Chain], set[str]]:
    blanked = blank_strings(source)
    chains: set[Chain] = set()
    starts = set()
    for found in field_chains(source, blanked):
        parts = found.parts
        if blanked[found.end :].lstrip().startswith("("):
            parts = parts[:-1]  # `.all(`, `.contains(`: a call on the value before it
        if any(not part.strip() for part in parts):
            parts = parts[: next(i for i, p in enumerate(parts) if not p.strip())]
        chains.add(tuple(parts))
        starts.add(found.start)
    whole = {
        m.group()
        for m in _IDENTIFIER.finditer(blanked)
        if m.start() not in starts and not blanked[: m.start()].rstrip().endswith(".")
    }
    return chains, whole


def _take(value: Any, trie: Trie) -> Any:
    if not trie or not isinstance(value, Mapping):
        return value
    return {key: _take(value[key], sub) for key, sub in trie.items() if key and key in value}


def spec_reads(scenarios: Iterable[Any]) -> Reads:
    """What every `match`, `given` and `then` expression of these scenarios reads."""
    sources = []
    for scenario in scenarios:
        if scenario.when.match:
            sources.append(scenario.when.match)
        sources += [line.check for line in (*scenario.given, *scenario.then) if line.check]
    return Reads.of(sources)


@functools.lru_cache(maxsize=4096)
def _reads_of(source: str) -> Reads:
    return Reads.of([source])


class CheckMemo:
    """Results of expressions by the values each one reads, so that traffic repeating the
    same status and fields skips CEL. Bounded: forgets everything when full."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.results: dict[tuple[str, bytes], CheckResult] = {}

    def check(self, evaluation: Evaluation, source: str) -> CheckResult:
        """`evaluation.check(source)`, or its result on equal inputs seen before."""
        key = _key(_reads_of(source).prune(evaluation.variables))
        if key is None:
            return evaluation.check(source)
        found = self.results.get((source, key))
        if found is None:
            found = evaluation.check(source)
            if len(self.results) >= self.max_entries:
                self.results.clear()
            self.results[(source, key)] = found
        return found


def _key(variables: Mapping[str, Any]) -> bytes | None:
    # Key order is kept and only JSON values are keyed (no sorting, no str() fallback):
    # equal keys are then equal inputs to the expression, hence equal results.
    try:
        return orjson.dumps(variables, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return None
