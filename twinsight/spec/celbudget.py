"""What one CEL expression may cost: its length and comprehension nesting when a spec
loads, its steps and CPU time each time it runs.

The library (common-expression-language 0.10) has no cost limit, holds the GIL while it
runs and cannot be interrupted from Python, and its comprehensions multiply: five nested
`.all` over 100 items are 10^10 steps. It also copies the list it builds at every step of
`map` and `filter` (a `map` over 4,000 items took 0.7 s here). So every comprehension's
body is rewritten to call back into Python first, `xs.all(x, P)` becoming
`xs.all(x, _twinsight_step() ? (P) : false)`; the callback counts steps and time and,
once over budget, raises, which ends every comprehension at its next step. An over-budget
check fails with that reason; it never stalls analysis.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

__all__ = [
    "MAX_JOINS",
    "MAX_LENGTH",
    "MAX_MATCHES",
    "MAX_NESTING",
    "MAX_PATTERN_SECONDS",
    "MAX_READS",
    "MAX_SECONDS",
    "MAX_STEPS",
    "OVER_BUDGET",
    "STEP_FUNCTION",
    "Budget",
    "Comprehension",
    "OverBudget",
    "bounded_source",
    "comprehensions",
    "joins",
    "matches_calls",
    "reads",
]

OVER_BUDGET = "over budget: "
"""How the reason of a check stopped by the budget begins: it decided nothing."""

# The library's parser and evaluator recurse: a chain of 16,000 `+` (32 KB) overflowed
# the stack (SIGSEGV) where 4,096 characters stayed safe even on a 1 MiB thread stack.
MAX_LENGTH = 4096
# Two levels cover "every item's every tag" and "each id is in that list"; deeper nests
# multiply list sizes past any budget (three over 100 items are already a million steps).
MAX_NESTING = 2
# `+` of two lists copies both: 291 `response.body +` over a 10,000-item body took 18.5 s
# and 418 MB, and no step callback runs inside. A join with a literal (`a + '/'`) is cheap;
# four between values cost 72 ms over a 100,000-item body, eight 380 ms.
MAX_JOINS = 4
# The library compiles a `matches` pattern again at every evaluation, with no cache and no
# budget: `\w{50}` took 20 ms, `\w{300}` 85 ms (then failed as too large). Patterns are
# literals, tried once at load, refused past a few ms; their number bounds the rest.
MAX_MATCHES = 8
# Each read of a variable copies its value (2.5 ms for a 100,000-item body, 8 ms more when
# size() hands it to Python), and CEL evaluates both sides of `||` whatever an error says,
# so no callback can cut a chain of reads short: their number is bounded instead.
MAX_READS = 16
MAX_PATTERN_SECONDS = 0.005
# Steps of all comprehensions of one evaluation. A step cost ~0.5 µs of CPU here (most of
# it the call back into Python), so a check over budget has spent ~25 ms, and an `all`
# over a 50,000-item body still passes.
MAX_STEPS = 50_000
# CPU seconds of one evaluation, read every few steps: bounds what steps do not count (the
# copying `map`, long strings). Well above what the steps take, so that plain iteration is
# cut by the step count, the same on every machine: 0.05 s (twice the steps' 25 ms on one
# machine) cut a plain scan of MAX_STEPS items on a slower one, where the steps took 56-61
# ms. CPU, not wall time: a busy machine must not turn a passing check into a failing one.
MAX_SECONDS = 0.2
STEP_FUNCTION = "_twinsight_step"

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
# CEL tokens as far as brackets are concerned: strings (raw, bytes, triple-quoted) and
# comments may hold any bracket and are skipped whole.
_TOKEN = re.compile(
    r"""
    (?P<skip>\s+|//[^\n]*)
    | (?P<string>
        [bB]?[rR](?:'''.*?'''|\"\"\".*?\"\"\"|'[^'\n]*'|"[^"\n]*")
      | [bB]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
               |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
      )
    | (?P<name>[A-Za-z_]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CHECK_EVERY = 16  # steps between two CPU clock reads (a read costs ~0.4 µs)
_SLOW_INTERVAL = 0.001  # CPU seconds between two reads past which every step is checked


class OverBudget(Exception):
    """Raised by the step callback to end the evaluation; `Budget.over` says why."""


@dataclass(frozen=True)
class Comprehension:
    """One `.all(...)`-style call: where its name and arguments are in the source, and how
    many comprehensions (itself included) enclose its arguments."""

    name: str
    at: int  # index of the name
    arguments: tuple[tuple[int, int], ...]  # [start, end) of each argument
    depth: int


@dataclass
class _Open:
    macro: str | None
    at: int
    start: int
    commas: list[int]


def comprehensions(source: str) -> list[Comprehension]:
    """The comprehension macros of `source` (which must compile), in order of their end."""
    found: list[Comprehension] = []
    stack: list[_Open] = []
    recent: list[tuple[str, str, int]] = []  # the last two tokens: kind, text, index
    for token in _TOKEN.finditer(source):
        kind, text, index = token.lastgroup or "", token.group(), token.start()
        if kind == "skip":
            continue
        if text in "([{" and kind == "other":
            macro = _macro_name(recent) if text == "(" else None
            stack.append(_Open(macro, recent[-1][2] if macro else index, index + 1, []))
        elif text in ")]}" and kind == "other" and stack:
            opened = stack.pop()
            if opened.macro is not None:
                depth = 1 + sum(1 for o in stack if o.macro is not None)
                ends = [*opened.commas, index]
                starts = [opened.start, *(c + 1 for c in opened.commas)]
                arguments = tuple(zip(starts, ends, strict=True))
                found.append(Comprehension(opened.macro, opened.at, arguments, depth))
        elif text == "," and kind == "other" and stack:
            stack[-1].commas.append(index)
        recent = [*recent[-1:], (kind, text, index)]
    return found


def _tokens(source: str) -> list[tuple[str, str, int]]:
    """Kind, text and index of each token of `source` but spaces and comments."""
    return [
        (t.lastgroup or "", t.group(), t.start())
        for t in _TOKEN.finditer(source)
        if t.lastgroup != "skip"
    ]


def _is_literal(token: tuple[str, str, int]) -> bool:
    return token[0] == "string" or token[1].isdigit()


def joins(source: str) -> list[int]:
    """Indexes of the `+` of `source` with a value that is not a literal on both sides."""
    tokens = _tokens(source)
    return [
        index
        for i, (kind, text, index) in enumerate(tokens)
        if kind == "other"
        and text == "+"
        and 0 < i < len(tokens) - 1
        and not _is_literal(tokens[i - 1])
        and not _is_literal(tokens[i + 1])
    ]


def reads(source: str, variables: frozenset[str]) -> list[int]:
    """Indexes of each read of one of `variables` in `source` (not a field: `a.request`)."""
    tokens = _tokens(source)
    return [
        index
        for i, (kind, text, index) in enumerate(tokens)
        if kind == "name" and text in variables and (i == 0 or tokens[i - 1][1] != ".")
    ]


def matches_calls(source: str) -> list[tuple[int, str | None]]:
    """Each `.matches(...)` of `source`: the index of its name, and its pattern's source
    text when the pattern is one string literal (else None)."""
    tokens = _tokens(source)
    found: list[tuple[int, str | None]] = []
    for i, (kind, text, index) in enumerate(tokens):
        if kind != "name" or text != "matches" or i == 0 or tokens[i - 1][1] != ".":
            continue
        call = [t[1] for t in tokens[i + 1 : i + 4]]
        literal = len(call) == 3 and call[0] == "(" and call[2] == ")"
        found.append((index, call[1] if literal and tokens[i + 2][0] == "string" else None))
    return found


def _macro_name(recent: list[tuple[str, str, int]]) -> str | None:
    # `.all(`: a dot, then a macro's name, then the parenthesis being opened.
    if len(recent) == 2 and recent[0][1] == "." and recent[1][0] == "name":
        return recent[1][1] if recent[1][1] in MACROS else None
    return None


def bounded_source(source: str, found: list[Comprehension]) -> str:
    """`source` with each comprehension's step (its second argument: the body, or `map`'s
    filter) guarded by the step callback."""
    inserts: list[tuple[int, str]] = []
    for comprehension in found:
        if len(comprehension.arguments) not in (2, 3):
            continue  # not a macro call the library accepts; it fails on its own
        start, end = comprehension.arguments[1]
        inserts += [(start, f" {STEP_FUNCTION}() ? ("), (end, ") : false")]
    text = source
    # From the end, so earlier indexes stay valid; at one index, the inner end goes first.
    for index, insert in sorted(inserts, key=lambda i: i[0], reverse=True):
        text = text[:index] + insert + text[index:]
    return text


class Budget:
    """Steps and CPU time one evaluation may spend; `step` is the callback CEL calls."""

    def __init__(self, max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS) -> None:
        self.max_steps, self.max_seconds = max_steps, max_seconds
        self.steps = 0
        self.over = ""
        self._until = self._last_read = 0.0
        self._next_check = 0

    def start(self) -> None:
        """Begin an evaluation with the whole budget."""
        self.steps, self.over = 0, ""
        # Read now, and checked at the first step: steps between two reads may each be costly
        # (a copying `map` over a long list), so the first of them must not run unchecked.
        self._last_read = time.thread_time()
        self._until = self._last_read + self.max_seconds
        self._next_check = 1

    def charge(self) -> bool:
        """Check the CPU time spent so far (a Python function CEL calls does it first)."""
        if self.over or time.thread_time() > self._until:
            self.over = self.over or f"{OVER_BUDGET}more than {self.max_seconds:g} s of CPU"
            raise OverBudget(self.over)
        return True

    def step(self) -> bool:
        """Count one step; raise OverBudget once the budget is spent."""
        self.steps += 1
        if self.steps >= self._next_check:
            self._check()
        return True

    def _check(self) -> None:
        every = _CHECK_EVERY
        if not self.over and self.steps > self.max_steps:
            self.over = f"{OVER_BUDGET}more than {self.max_steps:,} steps"
        elif not self.over:
            now = time.thread_time()
            if now > self._until:
                self.over = f"{OVER_BUDGET}more than {self.max_seconds:g} s of CPU"
            # Steps that take long are each worth a clock read: check every one from now on.
            every = 1 if now - self._last_read > _SLOW_INTERVAL else every
            self._last_read = now
        if self.over:
            self._next_check = 0  # every later step raises again, ending each comprehension
            raise OverBudget(self.over)
        self._next_check = min(self.steps + every, self.max_steps + 1)
