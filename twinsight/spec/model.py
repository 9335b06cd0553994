"""The spec language: the SDD proposal's shape, with optional machine-checkable bindings.

A plain natural-language spec (feature, description, scenarios with given / when /
then, constraints) loads as is; every line without a binding is reported as not
machine-checked. Bindings are CEL expressions over `request`, `response` and
`legacy`, compiled once when the spec loads.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from twinsight.spec import expressions
from twinsight.spec.paths import PathTemplate, PathTemplateError
from twinsight.spec.properties import check_shape
from twinsight.spec.where import HTTP_METHODS, Accepted

__all__ = [
    "Accepted",
    "Constraint",
    "Input",
    "InputConstraints",
    "Line",
    "Output",
    "RequestBinding",
    "Scenario",
    "Spec",
    "When",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compile(source: str, allowed: tuple[str, ...]) -> str:
    """Validate a CEL expression where it stands; pydantic reports it at its key."""
    try:
        expressions.compile_expression(source)
    except expressions.CelSyntaxError as exc:
        raise PydanticCustomError(
            "cel_syntax",
            "{message}",
            {"message": exc.message, "cel_column": exc.column, "hint": exc.hint},
        ) from None
    problems = expressions.unknown_variables(source, allowed)
    if problems:
        raise PydanticCustomError("cel_variable", "{message}", {"message": problems[0]})
    return source


class Line(_Model):
    """A given or then line: words, and optionally the CEL expression that checks them."""

    text: str = Field(min_length=1)
    check: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        # A line is written as plain text, or as `text: expression` (one key).
        if isinstance(value, str):
            return {"text": value}
        if isinstance(value, dict) and len(value) == 1 and "text" not in value:
            ((text, check),) = value.items()
            return {"text": text, "check": check}
        if isinstance(value, dict) and "text" in value:
            return value
        raise PydanticCustomError(
            "line_form",
            "a line is text, or one 'text: expression' pair, not {kind}",
            {"kind": _kind(value)},
        )

    @property
    def bound(self) -> bool:
        return self.check is not None


class RequestLine(Line):
    """A given line: its check may only read the request and the legacy response."""

    @field_validator("check")
    @classmethod
    def _check_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _compile(value, expressions.REQUEST_SIDE)


class ResponseLine(Line):
    """A then line: its check reads the response of the target under test."""

    @field_validator("check")
    @classmethod
    def _check_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _compile(value, expressions.RESPONSE_SIDE)


Scalar = str | int | float | bool | None


class RequestBinding(_Model):
    """Which HTTP requests a scenario's `when` covers."""

    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        method = value.upper()
        if method not in HTTP_METHODS:
            raise PydanticCustomError(
                "http_method", "unknown HTTP method {value}", {"value": repr(value)}
            )
        return method

    @field_validator("path")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        try:
            PathTemplate(value)
        except PathTemplateError as exc:
            raise PydanticCustomError("path_template", "{message}", {"message": str(exc)}) from None
        return value

    @property
    def template(self) -> PathTemplate:
        return _template(self.path)

    def accepts(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
    ) -> dict[str, str] | None:
        """The path parameters if a request fits this binding, else None.

        `headers` keys are lower-case; a query or header condition of "*" only
        asks for presence; body conditions are dotted paths into a JSON body.
        """
        if method.upper() != self.method:
            return None
        params = self.template.match(path)
        if params is None:
            return None
        if not _conditions_hold(self.query, query):
            return None
        if not _conditions_hold({k.lower(): v for k, v in self.headers.items()}, headers):
            return None
        if any(_dig(body, field) != (True, value) for field, value in self.body.items()):
            return None
        return params


@functools.lru_cache(maxsize=1024)
def _template(path: str) -> PathTemplate:
    # Matching runs per exchange and scenario: parse each template once.
    return PathTemplate(path)


def _conditions_hold(wanted: Mapping[str, str], present: Mapping[str, str]) -> bool:
    return all(
        name in present and (value == "*" or present[name] == value)
        for name, value in wanted.items()
    )


def _dig(body: Any, dotted: str) -> tuple[bool, Any]:
    for name in dotted.split("."):
        if not isinstance(body, Mapping) or name not in body:
            return (False, None)
        body = body[name]
    return (True, body)


_MANY_BINDINGS: TypeAdapter[tuple[RequestBinding, ...]] = TypeAdapter(tuple[RequestBinding, ...])


class When(_Model):
    """The trigger: words, optionally the request binding(s) and a CEL `match` on the branch.

    `request` is one binding, or a list of them when one behaviour spans endpoints
    (`GET` and `HEAD /tasks/{id}`): a request is covered when any of them accepts it.
    """

    text: str = Field(min_length=1)
    request: RequestBinding | tuple[RequestBinding, ...] | None = None
    match: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    @field_validator("request", mode="wrap")
    @classmethod
    def _one_or_many(
        cls, value: Any, _: ValidatorFunctionWrapHandler
    ) -> RequestBinding | tuple[RequestBinding, ...] | None:
        # Dispatched by hand: the union would name its members in every error's location.
        # (Wrapping, not replacing, it keeps the union's serializer.)
        if value is None or isinstance(value, RequestBinding):
            return value
        if isinstance(value, list | tuple):
            if not value:
                raise PydanticCustomError(
                    "no_bindings", "an empty list binds no request; leave 'request' out instead"
                )
            return _MANY_BINDINGS.validate_python(value)
        return RequestBinding.model_validate(value)

    @property
    def bindings(self) -> tuple[RequestBinding, ...]:
        """Every request binding, whether one or a list was written."""
        if self.request is None:
            return ()
        return self.request if isinstance(self.request, tuple) else (self.request,)

    def accepts(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
    ) -> dict[str, str] | None:
        """The path parameters from the first binding that accepts the request, else None."""
        for binding in self.bindings:
            params = binding.accepts(method, path, query, headers, body)
            if params is not None:
                return params
        return None

    @field_validator("match")
    @classmethod
    def _match_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _compile(value, expressions.REQUEST_SIDE)

    @property
    def bound(self) -> bool:
        return self.request is not None


class InputConstraints(_Model):
    """Constraints on one input, as the proposal's property-based section writes them."""

    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=0)
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    enum: tuple[Scalar, ...] | None = None
    must_be_future: bool | None = None


InputType = Literal[
    "string", "integer", "number", "boolean", "datetime", "date", "uuid", "array", "object"
]


class Input(_Model):
    """A typed input of a scenario, with constraints and examples (becomes a strategy later)."""

    name: str
    type: InputType
    optional: bool = False
    constraints: InputConstraints | None = None
    examples: tuple[Any, ...] = ()


class Output(_Model):
    """An output a scenario promises: its type, a literal value or properties."""

    name: str
    type: InputType
    value: Scalar = None
    properties: tuple[dict[str, Any], ...] = ()


def _lines(value: Any) -> Any:
    # `given: text` and `then: text` are shorthand for a one-line list.
    return [value] if isinstance(value, str | dict) else value


class Scenario(_Model):
    """A behavior: name, given (preconditions), when (trigger), then (outcomes)."""

    name: str = Field(min_length=1)
    description: str | None = None
    given: tuple[RequestLine, ...] = ()
    when: When
    then: tuple[ResponseLine, ...] = Field(min_length=1)
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    properties: tuple[dict[str, Any], ...] = ()
    property_tests: tuple[dict[str, Any], ...] = ()

    _lines_before = field_validator("given", "then", mode="before")(_lines)

    @field_validator("properties")
    @classmethod
    def _known_shapes(cls, value: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        # Kinds explore checks must be well formed; others stay words (reported unchecked).
        for number, item in enumerate(value):
            try:
                check_shape(item)
            except ValueError as exc:
                raise PydanticCustomError(
                    "property_shape",
                    "[{number}] {message}",
                    {"number": number, "message": str(exc)},
                ) from None
        return value


class Constraint(_Model):
    """An operational requirement (latency, security, reliability, ...)."""

    name: str = Field(min_length=1)
    requirement: str = Field(min_length=1)
    measurement: str | None = None
    verification: str | None = None
    exception: str | None = None


class Spec(_Model):
    """A whole spec file: feature, scenarios, constraints and accepted differences."""

    feature: str = Field(min_length=1)
    description: str | None = None
    scenarios: tuple[Scenario, ...] = ()
    constraints: dict[str, tuple[Constraint, ...]] = Field(default_factory=dict)
    accepted: tuple[Accepted, ...] = ()

    def scenario(self, name: str) -> Scenario:
        """The scenario called `name` (KeyError if none)."""
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return f"a mapping with {len(value)} keys"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
