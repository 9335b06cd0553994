"""What CEL sees: the variables of a check, each kind of body, bindings and templates.

`spec show --vars` prints `vars_text()`. Every example in it is computed by the code
that analysis runs (`parse_body`, `RequestView`, `first_headers`, `RequestBinding`,
`PathTemplate`), so the text cannot drift from the behaviour; each sample also says
what it is meant to show (`Sample.shows`), and a test holds the two equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from twinsight.spec.bodies import parse_body
from twinsight.spec.inputs import RequestView, first_headers
from twinsight.spec.model import RequestBinding
from twinsight.spec.paths import PathTemplate

__all__ = ["BINDING_YAML", "BODY_SAMPLES", "REQUEST_SAMPLE", "Sample", "vars_text"]


@dataclass(frozen=True)
class Sample:
    """A body of one kind, and the value expressions should see for it."""

    title: str
    content_type: str | None
    body: bytes
    shows: Any
    note: str = ""


_XML = (
    b'<order xmlns="urn:example" id="7"><item>tea</item><item>milk</item>'
    b'<total currency="EUR">12.50</total><note/></order>'
)
_MULTIPART = (
    b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nBuy milk\r\n'
    b'--XX\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--XX--\r\n"
)

BODY_SAMPLES = (
    Sample("JSON", "application/json", b'{"id": 3, "tags": ["a"]}', {"id": 3, "tags": ["a"]}),
    Sample(
        "JSON under another type",
        "text/plain",
        b'{"id": 3}',
        {"id": 3},
        "a body that parses as JSON is JSON, whatever its Content-Type (unless XML or a form)",
    ),
    Sample("Text", "text/plain", b"hello", "hello", "a string"),
    Sample(
        "XML",
        "application/xml",
        _XML,
        {
            "order": {
                "@": {"id": "7"},
                "item": ["tea", "milk"],
                "total": {"@": {"currency": "EUR"}, "#text": "12.50"},
                "note": "",
            }
        },
        "the root element is the one key; attributes under '@', text beside them under "
        "'#text'; repeated elements a list; namespace prefixes dropped; a text-only element "
        'is its text: response.body.order.total["#text"] == "12.50"',
    ),
    Sample(
        "XML without a Content-Type",
        None,
        b"<a><b>1</b></a>",
        {"a": {"b": "1"}},
        "read as XML when it parses as XML",
    ),
    Sample(
        "Form (urlencoded)",
        "application/x-www-form-urlencoded",
        b"title=Buy+milk&tag=a&tag=b&note=",
        {"title": "Buy milk", "tag": ["a", "b"], "note": ""},
        "a name sent more than once is the list of its values",
    ),
    Sample(
        "Form (multipart)",
        "multipart/form-data; boundary=XX",
        _MULTIPART,
        {
            "title": "Buy milk",
            "photo": {"filename": "a.png", "content_type": "image/png", "size": 4},
        },
        "a file part is its filename, content_type and size in bytes, never its content",
    ),
    Sample(
        "HTML",
        "text/html",
        b"<p>Hi</p>",
        "<p>Hi</p>",
        "the text: match it with contains() or matches()",
    ),
    Sample(
        "Binary",
        "image/png",
        b"\x89PNG\r\n\x1a\n\x00\xff",
        None,
        "bytes that are not UTF-8 text are null",
    ),
    Sample("Empty", "application/json", b"", None, "no body is null"),
)


@dataclass(frozen=True)
class RequestSample:
    """A request as stored, and the `request` map expressions should see for it."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    params: dict[str, str]
    shows: dict[str, Any]


REQUEST_SAMPLE = RequestSample(
    method="GET",
    path="/tasks/3",
    query="status=open&status=done&flag=",
    headers=(("Accept", "text/html"), ("X-Tenant", "a"), ("x-tenant", "b")),
    body=b"",
    params={"id": "3"},
    shows={
        "method": "GET",
        "path": "/tasks/3",
        "params": {"id": "3"},
        "query": {"status": "open", "flag": ""},
        "headers": {"accept": "text/html", "x-tenant": "a"},
        "body": None,
    },
)


def request_variables(sample: RequestSample) -> dict[str, Any]:
    """The `request` map the checks see for `sample`, by the code analysis runs."""
    view = RequestView.of(sample.method, sample.path, sample.query, sample.headers, sample.body)
    return view.variables(sample.params)


_INTRO = """\
# What a check sees

Checks are CEL expressions over three variables:

- `request`: the request. Fields: `method` (upper case), `path` (without the query),
  `params` (the path template's parameters, from the binding that matched), `query`,
  `headers`, `body`. Readable everywhere: `given`, `when.match`, `then`.
- `response`: the answer a `then` line checks: `status` (a number), `headers`, `body`,
  `latency_ms`. Each `then` line runs twice: on the legacy's answer, then on the
  candidate's. Only in `then`.
- `legacy`: the legacy's answer, with the same fields as `response`. Readable everywhere
  (`when.match: legacy.status == 200` picks the branch the legacy took).

A field that is absent fails the check with "no field ...": test it first with `has()`,
as in `has(response.body.id) && response.body.id > 0`.
"""


def vars_text() -> str:
    """The whole explanation, with every example computed by the code analysis runs."""
    parts = [_INTRO, _request_section(), _bodies_section(), _bindings_section()]
    return "\n".join([*parts, _templates_section()])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _request_section() -> str:
    sample = REQUEST_SAMPLE
    sent = [f"{sample.method} {sample.path}?{sample.query}"]
    sent += [f"{name}: {value}" for name, value in sample.headers]
    answer = (("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"))
    return "\n".join(
        [
            "## Query, headers and path parameters\n",
            "Header names are lower case and a repeated header or query name keeps its first",
            "value only; an empty query value is kept. For this request, matched by the",
            "template `/tasks/{id}`:\n",
            *(f"    {line}" for line in sent),
            "",
            "`request` is:\n",
            f"    {_json(request_variables(sample))}",
            "",
            "An answer's headers read the same way:",
            "    " + ", ".join(f"{n}: {v}" for n, v in answer),
            f"gives `response.headers` = `{_json(first_headers(answer))}`,",
            'so write `response.headers["content-type"]`, never `Content-Type`.\n',
        ]
    )


def _printable(body: bytes) -> str:
    text = body.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == "\\" else repr(c)[1:-1] for c in text)


def _bodies_section() -> str:
    lines = [
        "## Bodies",
        "",
        "`request.body` and `response.body` by the body's Content-Type:",
        "",
    ]
    for sample in BODY_SAMPLES:
        shown = _printable(sample.body)
        lines.append(f"### {sample.title} (Content-Type: {sample.content_type or 'none'})\n")
        lines.append(f"    body sent:  {shown or '(empty)'}")
        lines.append(f"    CEL sees:   {_json(parse_body(sample.body, sample.content_type))}")
        lines += ["", sample.note + "\n"] if sample.note else [""]
    return "\n".join(lines)


BINDING_YAML = '{method: GET, path: "/tasks/{id}", headers: {accept: "*"}}'
"""The binding shown, as a spec writes it (a `{name}` in a flow mapping needs quotes)."""
_TRIED: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("GET", "/tasks/3", {"accept": "text/html"}),
    ("GET", "/tasks/3", {"accept": ""}),
    ("GET", "/tasks/3", {}),
    ("HEAD", "/tasks/3", {"accept": "*/*"}),
)


def _bindings_section() -> str:
    binding = RequestBinding.model_validate(YAML(typ="safe").load(BINDING_YAML))
    lines = [
        "## Which requests a binding covers",
        "",
        "`when.request` is one binding or a list of them (a request is covered when any",
        "accepts it). `query` and `headers` conditions compare values exactly; the value",
        '"*" asks only that the name be present, whatever its value (header names in any',
        "case). `body` conditions are dotted paths into the body as CEL sees it, compared",
        "to the value exactly. For",
        f"`request: {BINDING_YAML}`:\n",
    ]
    for method, path, headers in _TRIED:
        found = binding.accepts(method, path, {}, headers, None)
        verdict = f"covered, params {_json(found)}" if found is not None else "not covered"
        lines.append(f"    {method} {path} headers {_json(headers)}: {verdict}")
    return "\n".join(lines) + "\n"


_TEMPLATES = ("/v1", "/v1/", "/v1{/}", "/tasks/{id}")
_PATHS = ("/v1", "/v1/", "/tasks/3", "/tasks/3/")


def _templates_section() -> str:
    lines = [
        "## Path templates match exactly",
        "",
        "A `{name}` segment matches one path segment. A trailing slash is part of the",
        "template: `/v1` does not match `/v1/`; end it with `{/}` to match both.\n",
    ]
    for text in _TEMPLATES:
        template = PathTemplate(text)
        matched = [p for p in _PATHS if template.match(p) is not None]
        lines.append(f"    {text:<12} matches {', '.join(matched) or 'none of these'}")
    return "\n".join(lines) + "\n"
