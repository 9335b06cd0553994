"""CEL expressions of a spec: compile once, evaluate safely, explain failures.

Evaluating never raises: a missing field, a type clash or a non-boolean result
becomes a failed `CheckResult` whose reason says why ("no field response.body.x").
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType
from typing import Any

from twinsight.spec import celbudget
from twinsight.spec.celbudget import OVER_BUDGET, Budget
from twinsight.spec.chains import STRING_LITERAL, blank_strings, field_chains

# The library logs a warning each time a Python function it calls raises; our `size`
# raises for a value that has no size, which the check already reports as its reason.
logging.getLogger("cel").setLevel(logging.ERROR)


@cache
def _cel() -> ModuleType:
    """The CEL library, loaded when an expression is first compiled: its package also loads
    a terminal UI library (~0.17 s), which every command's start-up paid before."""
    import cel

    return cel


__all__ = [
    "CelSyntaxError",
    "CheckResult",
    "Evaluation",
    "compile_expression",
    "expression_variables",
]

# Which variables an expression may use, by where it stands in a scenario.
REQUEST_SIDE = ("request", "legacy")
RESPONSE_SIDE = ("request", "response", "legacy")
_VARIABLES = frozenset(RESPONSE_SIDE)

_CEL_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")
# ANTLR lists every token it could accept; past a handful that hides the point.
_EXPECTING = re.compile(r" expecting \{(?:[^,}]*,){4,}[^}]*\}")
_MACRO_VARIABLE = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
# The CEL spec counts a string's size in code points; the library counts UTF-8 bytes, and
# lets no one replace `size`. Calls are renamed to a function of the same length (so error
# columns stay right) that counts as the spec says.
_SIZE_CALL = re.compile(r"('(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")|\bsize(?=\s*\()")
_SIZE_NAME = "ulen"


class CelSyntaxError(ValueError):
    """A CEL expression does not compile, or is refused as too costly; `line`/`column` are
    1-based inside the expression, `hint` says how to fix it when there is more to say."""

    def __init__(self, message: str, line: int = 1, column: int = 1, hint: str = "") -> None:
        self.message, self.line, self.column, self.hint = message, line, column, hint
        super().__init__(message)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expression on one exchange: passed, or failed with a reason."""

    passed: bool
    reason: str = ""

    @property
    def inconclusive(self) -> bool:
        """Stopped by the evaluation budget: it decided nothing either way."""
        return not self.passed and self.reason.startswith(OVER_BUDGET)


def compile_expression(source: str) -> Any:
    """Compile CEL `source` once (cached); raise CelSyntaxError with its position, also
    when it is longer or nests comprehensions deeper than an evaluation can afford."""
    return _programs(source)[0]


@lru_cache(maxsize=4096)
def _programs(source: str) -> tuple[Any, Any, bool]:
    """`source` compiled; the program to run (compiled again with its comprehensions' steps
    counted by the budget, see `celbudget`); whether it calls back (and needs the budget)."""
    if not source.strip():
        raise CelSyntaxError("empty expression")
    if len(source) > celbudget.MAX_LENGTH:
        raise CelSyntaxError(
            f"expression of {len(source):,} characters (at most {celbudget.MAX_LENGTH:,})",
            hint="split it into several lines",
        )
    program = _compile(source)
    found = celbudget.comprehensions(source)
    _check_nesting(source, found)
    _check_joins(source)
    _check_reads(source)
    _check_patterns(source)
    if found:
        return program, _compile(celbudget.bounded_source(source, found)), True
    # Without a call back into Python, nothing could read the clock: skip starting it.
    calls_size = any(m.group(1) is None for m in _SIZE_CALL.finditer(source))
    return program, program, calls_size


def _compile(source: str) -> Any:
    try:
        return _cel().compile(_SIZE_CALL.sub(lambda m: m.group(1) or _SIZE_NAME, source))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # the Rust core may raise a PanicException (BaseException)
        raise _syntax_error(str(exc)) from None


def _check_nesting(source: str, found: list[celbudget.Comprehension]) -> None:
    deep = [c for c in found if c.depth > celbudget.MAX_NESTING]
    if not deep:
        return
    first = min(deep, key=lambda c: c.at)
    deepest = max(c.depth for c in deep)
    raise CelSyntaxError(
        f"comprehensions nested {deepest} deep (at most {celbudget.MAX_NESTING})",
        *_at(source, first.at),
        "each level multiplies the work by a list's size; split the check into lines",
    )


def _at(source: str, index: int) -> tuple[int, int]:
    """1-based line and column of `index` in `source`."""
    return source.count("\n", 0, index) + 1, index - source.rfind("\n", 0, index)


def _check_count(source: str, found: Sequence[int], limit: int, what: str, hint: str) -> None:
    """Refuse `source` when it holds more than `limit` of `what` (`found`: where each is)."""
    if len(found) > limit:
        raise CelSyntaxError(
            f"{len(found)} {what} (at most {limit})", *_at(source, found[limit]), hint
        )


def _check_joins(source: str) -> None:
    found = celbudget.joins(source)
    hint = "each '+' of two lists copies both; split the check into lines"
    _check_count(source, found, celbudget.MAX_JOINS, "'+' between values", hint)


def _check_reads(source: str) -> None:
    found = celbudget.reads(source, _VARIABLES)
    what = "reads of request, response or legacy"
    hint = "each copies the value read; split the check into lines"
    _check_count(source, found, celbudget.MAX_READS, what, hint)


def _check_patterns(source: str) -> None:
    calls = celbudget.matches_calls(source)
    hint = "each compiles its pattern at every evaluation; split the check into lines"
    found = [index for index, _ in calls]
    _check_count(source, found, celbudget.MAX_MATCHES, "calls of matches()", hint)
    for index, pattern in calls:
        problem = "its pattern is not a string literal" if pattern is None else _try(pattern)
        if problem:
            raise CelSyntaxError(f"matches(): {problem}", *_at(source, index))


@lru_cache(maxsize=1024)
def _try(pattern: str) -> str:
    """Why the literal `pattern` cannot be a `matches` pattern, or ""."""
    started = time.thread_time()
    try:
        cel = _cel()
        cel.compile(f"''.matches({pattern})").execute(cel.Context({}))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # the Rust core may raise a PanicException (BaseException)
        return "invalid pattern: " + _first_sentence(exc).split(": ", 1)[-1]
    spent = time.thread_time() - started
    if spent > celbudget.MAX_PATTERN_SECONDS:
        limit = celbudget.MAX_PATTERN_SECONDS * 1000
        return (
            f"the pattern takes {spent * 1000:.0f} ms to compile, at each use (at most {limit:g})"
        )
    return ""


def expression_variables(source: str) -> list[str]:
    """Top-level variables an expression reads (compiles it if needed)."""
    return sorted(compile_expression(source).variables())


def unknown_variables(source: str, allowed: Sequence[str]) -> list[str]:
    """Messages for each variable `source` uses that is not in `allowed`."""
    messages = []
    # Macros (all, exists, map, filter) bind their own iteration variables.
    bound = set(_MACRO_VARIABLE.findall(STRING_LITERAL.sub('""', source)))
    for name in expression_variables(source):
        if name not in allowed and name not in bound:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            messages.append(f"unknown variable '{name}' (allowed: {', '.join(allowed)}){hint}")
    return messages


def _syntax_error(text: str) -> CelSyntaxError:
    found = _CEL_POSITION.search(text)
    if not found:
        return CelSyntaxError(f"CEL error: {text.splitlines()[0] if text else 'invalid'}")
    line, column = int(found.group(1)), int(found.group(2))
    message = _EXPECTING.sub("", found.group(3))
    return CelSyntaxError(f"CEL {message[0].lower()}{message[1:]}", line, column)


class Evaluation:
    """One exchange's variables, converted to CEL once (when first needed), against which
    many expressions run. `prune` narrows what is converted (see `Reads.prune`)."""

    def __init__(
        self,
        variables: Mapping[str, Any],
        prune: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    ) -> None:
        self.variables = dict(variables)
        self._prune = prune
        self._context: Any = None
        self._ready: tuple[Any, Budget] = (None, Budget())

    def check(self, source: str) -> CheckResult:
        """Evaluate `source`; True passes, anything else fails with a reason."""
        try:
            _, program, budgeted = _programs(source)
        except CelSyntaxError as exc:
            return CheckResult(False, exc.message)
        context, budget = self._new_context() if self._context is None else self._ready
        if budgeted:
            budget.start()
        else:
            budget.over = ""
        try:
            value = program.execute(context)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as exc:  # missing fields, type clashes, Rust panics, budget
            return self._failure(source, exc, budget)
        if budget.over:
            # The expression absorbed the budget's error (`error || true` is true in CEL).
            return CheckResult(False, budget.over)
        if value is True:
            return CheckResult(True)
        if value is False:
            return CheckResult(False, "expression is false")
        return CheckResult(False, f"expression gave {value!r}, not true or false")

    def _new_context(self) -> tuple[Any, Budget]:
        given = self._prune(self.variables) if self._prune else self.variables
        self._context = _cel().Context(dict(given))
        budget = Budget()
        # Every call of size() copies its value into Python (8 ms for a 100,000-item list):
        # each is charged to the budget, also in expressions without comprehensions.
        self._context.add_function(_SIZE_NAME, lambda value: budget.charge() and _size(value))
        self._context.add_function(celbudget.STEP_FUNCTION, budget.step)
        self._ready = (self._context, budget)
        return self._ready

    def _failure(self, source: str, exc: BaseException, budget: Budget) -> CheckResult:
        if budget.over:
            return CheckResult(False, budget.over)
        if isinstance(exc, KeyError) or "Undefined variable" in str(exc):
            return CheckResult(False, missing_field(source, self.variables))
        return CheckResult(False, _first_sentence(exc).replace(_SIZE_NAME, "size"))


def _size(value: Any) -> int:
    """CEL's size(): code points of a string, bytes of bytes, items of a list or map."""
    if isinstance(value, str | bytes | list | tuple | dict):
        return len(value)
    raise TypeError(f"size() of {type(value).__name__}")


def missing_field(source: str, variables: Mapping[str, Any]) -> str:
    """Name the first field `source` reads that `variables` lacks, as "no field a.b.c"."""
    for found in field_chains(source, blank_strings(source)):
        chain = found.parts
        current: Any = variables
        for depth, name in enumerate(chain):
            if not isinstance(current, Mapping) or name not in current:
                return "no field " + ".".join(chain[: depth + 1])
            current = current[name]
    return "no such field or key"


def _first_sentence(exc: BaseException) -> str:
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return text.split(". ", 1)[0].rstrip(".")
