"""Which scenarios an exchange exercises, and how each target fares on their lines.

A scenario applies when one of its `when.request` bindings accepts the request, its
`when.match` holds on the request and the legacy answer, and its bound `given`
lines hold. Each bound `then` line is then checked twice: with `response` the
legacy's answer, and with `response` the candidate's. Pure: plain data in,
results out; a failing or broken check is a failed result with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twinsight.spec import CheckMemo, CheckResult, Evaluation, Reads, Scenario, Spec, spec_reads
from twinsight.spec.bodies import declares_structure, parse_body
from twinsight.spec.inputs import RequestView, first_headers

from .diff import NOT_JSON, Message

__all__ = ["LineResult", "check_scenarios", "response_variables", "scenarios_by_method"]


@dataclass(frozen=True)
class LineResult:
    """One bound then-line of one applicable scenario, checked on both targets."""

    scenario: str
    line: str
    legacy: CheckResult
    candidate: CheckResult


def _body(message: Message) -> Any:
    # The diff has parsed a JSON body already: reuse it unless the body is not JSON or
    # declares XML or a form (read as maps by `parse_body`).
    content_type = message.header("content-type")
    if message.document is NOT_JSON or declares_structure(content_type):
        return parse_body(message.body, content_type)
    return message.document


def response_variables(message: Message) -> dict[str, Any]:
    """An answer as checks read it: the `response` (and `legacy`) map of CEL."""
    # Headers as a request's are read (`spec show --vars` documents both with one function).
    return {
        "status": message.status,
        "headers": first_headers(message.headers),
        "body": _body(message),
        "latency_ms": message.latency_ms,
    }


def scenarios_by_method(spec: Spec) -> dict[str, tuple[Scenario, ...]]:
    """Per HTTP method, in the spec's order, the scenarios a binding of which names it: no
    other can apply to a request of that method."""
    found: dict[str, list[Scenario]] = {}
    for scenario in spec.scenarios:
        for method in dict.fromkeys(b.method for b in scenario.when.bindings):
            found.setdefault(method, []).append(scenario)
    return {method: tuple(scenarios) for method, scenarios in found.items()}


def check_scenarios(
    spec: Spec,
    request: RequestView,
    legacy: Message,
    candidate: Message,
    reads: Reads | None = None,
    memo: CheckMemo | None = None,
    by_method: Mapping[str, Sequence[Scenario]] | None = None,
) -> list[LineResult]:
    """Every bound then-line of every scenario the exchange exercises, on both targets.

    `reads` (from `spec_reads`, computed once per spec) narrows what is handed to CEL;
    `memo` reuses results for variables seen before (shared across exchanges);
    `by_method` (from `scenarios_by_method`, once per spec) skips the scenarios whose
    bindings name another method without asking each.
    """
    contexts = _Contexts(request, legacy, candidate, reads or spec_reads(spec.scenarios))
    results: list[LineResult] = []
    candidates: Sequence[Scenario] = spec.scenarios
    if by_method is not None:
        candidates = by_method.get(request.method.upper(), ())
    for scenario in candidates:
        params = scenario.when.accepts(
            request.method, request.path, request.query, request.headers, request.body
        )
        if params is None:
            continue
        on_legacy = contexts.legacy(params)
        if not _applies(scenario, on_legacy, memo):
            continue
        on_candidate = contexts.candidate(params)
        results.extend(
            LineResult(
                scenario.name,
                line.text,
                _check(on_legacy, line.check, memo),
                _check(on_candidate, line.check, memo),
            )
            for line in scenario.then
            if line.check is not None
        )
    return results


class _Contexts:
    """One CEL context per target and path parameters: building one is the costly part.

    The legacy's context also decides `match` and `given` (they cannot read `response`);
    the candidate's is built only once a scenario applies.
    """

    def __init__(self, request: RequestView, legacy: Message, candidate: Message, reads: Reads):
        self.request, self.reads = request, reads
        self._messages = (legacy, candidate)
        self._responses: list[dict[str, Any] | None] = [None, None]
        self._built: dict[tuple[int, tuple[tuple[str, str], ...]], Evaluation] = {}

    def legacy(self, params: Mapping[str, str]) -> Evaluation:
        """The context with `response` (and `legacy`) the legacy's answer."""
        return self._context(0, params)

    def candidate(self, params: Mapping[str, str]) -> Evaluation:
        """The context with `response` the candidate's answer (`legacy` still the legacy's)."""
        return self._context(1, params)

    def _context(self, side: int, params: Mapping[str, str]) -> Evaluation:
        key = (side, tuple(sorted(params.items())))
        if key not in self._built:
            legacy = self._response(0)
            variables = {
                "request": self.request.variables(params),
                "response": self._response(side),
                "legacy": legacy,
            }
            self._built[key] = Evaluation(variables, self.reads.prune)
        return self._built[key]

    def _response(self, side: int) -> dict[str, Any]:
        found = self._responses[side]
        if found is None:
            found = self._responses[side] = response_variables(self._messages[side])
        return found


def _applies(scenario: Scenario, evaluation: Evaluation, memo: CheckMemo | None) -> bool:
    match = scenario.when.match
    if match is not None and not _check(evaluation, match, memo).passed:
        return False
    return all(_check(evaluation, line.check, memo).passed for line in scenario.given if line.check)


def _check(evaluation: Evaluation, source: str, memo: CheckMemo | None) -> CheckResult:
    return memo.check(evaluation, source) if memo is not None else evaluation.check(source)
