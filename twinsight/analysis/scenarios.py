"""Which scenarios an exchange exercises, and how each target fares on their lines.

A scenario applies when its `when.request` binding accepts the request, its
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
from twinsight.spec.inputs import first_headers, parse_body, query_values

from .diff import NOT_JSON, Message

__all__ = ["LineResult", "RequestView", "check_scenarios"]


@dataclass(frozen=True)
class RequestView:
    """A request as scenarios read it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names, first value
    body: Any

    @classmethod
    def of(
        cls, method: str, path: str, query: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> RequestView:
        """From the stored form: raw query string, header pairs, body bytes."""
        return cls(
            method.upper(), path, query_values(query), first_headers(headers), parse_body(body)
        )


@dataclass(frozen=True)
class LineResult:
    """One bound then-line of one applicable scenario, checked on both targets."""

    scenario: str
    line: str
    legacy: CheckResult
    candidate: CheckResult


def _body(message: Message) -> Any:
    # The diff has parsed a JSON body already: reuse it, decode text only when it is not.
    document = message.document
    return parse_body(message.body) if document is NOT_JSON else document


def _response(message: Message) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in message.headers:
        headers.setdefault(name.lower(), value)
    return {
        "status": message.status,
        "headers": headers,
        "body": _body(message),
        "latency_ms": message.latency_ms,
    }


def check_scenarios(
    spec: Spec,
    request: RequestView,
    legacy: Message,
    candidate: Message,
    reads: Reads | None = None,
    memo: CheckMemo | None = None,
) -> list[LineResult]:
    """Every bound then-line of every scenario the exchange exercises, on both targets.

    `reads` (from `spec_reads`, computed once per spec) narrows what is handed to CEL;
    `memo` reuses results for variables seen before (shared across exchanges).
    """
    reads = reads or spec_reads(spec.scenarios)
    results: list[LineResult] = []
    legacy_vars: dict[str, Any] | None = None
    candidate_vars: dict[str, Any] | None = None
    # One CEL context per target and path parameters: building it is the costly part. The
    # legacy's context also decides `match` and `given` (they cannot read `response`).
    contexts: dict[tuple[tuple[str, str], ...], tuple[Evaluation, Evaluation | None]] = {}
    for scenario in spec.scenarios:
        binding = scenario.when.request
        if binding is None:
            continue
        params = binding.accepts(
            request.method, request.path, request.query, request.headers, request.body
        )
        if params is None:
            continue
        key = tuple(sorted(params.items()))
        if key not in contexts:
            legacy_vars = legacy_vars or _response(legacy)
            req = {
                "method": request.method,
                "path": request.path,
                "params": params,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "body": request.body,
            }
            variables = {"request": req, "response": legacy_vars, "legacy": legacy_vars}
            contexts[key] = (Evaluation(variables, reads.prune), None)
        on_legacy, on_candidate = contexts[key]
        if not _applies(scenario, on_legacy, memo):
            continue
        if on_candidate is None:
            candidate_vars = candidate_vars or _response(candidate)
            variables = {**on_legacy.variables, "response": candidate_vars}
            on_candidate = Evaluation(variables, reads.prune)
            contexts[key] = (on_legacy, on_candidate)
        for line in scenario.then:
            if line.check is not None:
                results.append(
                    LineResult(
                        scenario.name,
                        line.text,
                        _check(on_legacy, line.check, memo),
                        _check(on_candidate, line.check, memo),
                    )
                )
    return results


def _applies(scenario: Scenario, evaluation: Evaluation, memo: CheckMemo | None) -> bool:
    match = scenario.when.match
    if match is not None and not _check(evaluation, match, memo).passed:
        return False
    return all(_check(evaluation, line.check, memo).passed for line in scenario.given if line.check)


def _check(evaluation: Evaluation, source: str, memo: CheckMemo | None) -> CheckResult:
    return memo.check(evaluation, source) if memo is not None else evaluation.check(source)
