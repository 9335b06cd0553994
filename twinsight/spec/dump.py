"""Write a `Spec` back as YAML that reads like a hand-written one.

Keys come in the model's order (feature, description, scenarios: name, given,
when, then, ...), defaults are left out, and lines use the short forms people
write (`- text` or `- text: expression`). `parse_spec(dump_spec(s)) == s`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from twinsight.spec.model import InputConstraints, Line, RequestBinding, Spec, When

# Small mappings read best on one line, as people write them: {method: POST, path: /tasks}.
_FLOW_MODELS = (RequestBinding, InputConstraints)
_FLOW_WIDTH = 80
_BREAKS = re.compile("[\r\x85\u2028\u2029]")
_PLAIN_SAFE = re.compile(r"^[A-Za-z_/][\w/.\- ]*(?<! )$")

__all__ = ["dump_spec", "to_yaml_data"]


def dump_spec(spec: Spec, *, header: str = "", notes: Sequence[Sequence[str]] = ()) -> str:
    """YAML text for `spec`, with `header` as a leading comment block when given, and each
    of `notes` as a comment block above the scenario of the same index."""
    data = to_yaml_data(spec)
    if header:
        data.yaml_set_start_comment(header)
    for index, lines in enumerate(notes):
        if lines and index < len(spec.scenarios):
            data["scenarios"].yaml_set_comment_before_after_key(
                index, before="\n".join(lines), indent=2
            )
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold an expression in the middle
    yaml.allow_unicode = True
    yaml.representer.add_representer(type(None), _represent_null)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def to_yaml_data(model: BaseModel) -> CommentedMap:
    """The model as ordered YAML nodes, defaults omitted, lines in their short form."""
    result = CommentedMap()
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if not info.is_required() and value == info.get_default(call_default_factory=True):
            continue
        result[name] = _node(value)
    return result


def _node(value: Any) -> Any:
    if isinstance(value, Line):
        text = _scalar(value.text)
        return text if value.check is None else CommentedMap([(text, _scalar(value.check))])
    if isinstance(value, str):
        return _scalar(value)
    if isinstance(value, When) and value.request is None and value.match is None:
        return value.text
    if isinstance(value, BaseModel):
        data = to_yaml_data(value)
        if isinstance(value, _FLOW_MODELS):
            return _flow(data)
        return data
    if isinstance(value, dict):
        return CommentedMap((k, _node(v)) for k, v in value.items())
    if isinstance(value, tuple | list):
        items = CommentedSeq(_node(v) for v in value)
        if items and all(_short_scalar(v) for v in value) and len(repr(value)) < _FLOW_WIDTH:
            return _flow(items)
        return items
    return value


def _scalar(text: str) -> str:
    """`text`, double-quoted when it holds a line break other than `\\n`: plain and
    single-quoted scalars fold those into spaces, double quotes escape them (`\\N`)."""
    return DoubleQuotedScalarString(text) if _BREAKS.search(text) else text


def _flow(node: CommentedMap | CommentedSeq) -> CommentedMap | CommentedSeq:
    """Lay `node` out on one line, quoting text the emitter would leave ambiguous there."""
    # ruamel writes some plain scalars that a flow context cannot read back (`?0`).
    for key, value in node.items() if isinstance(node, CommentedMap) else enumerate(node):
        if isinstance(value, CommentedMap | CommentedSeq):
            _flow(value)
        elif isinstance(value, str) and not _PLAIN_SAFE.match(value):
            node[key] = DoubleQuotedScalarString(value)
    node.fa.set_flow_style()
    return node


def _short_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | float | bool) and len(str(value)) < 40)


def _represent_null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
