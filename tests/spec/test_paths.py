import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.spec import PathTemplate, PathTemplateError


def test_template_matches_and_extracts_params() -> None:
    template = PathTemplate("/tasks/{id}/complete")
    assert template.params == ("id",)
    assert template.match("/tasks/17/complete") == {"id": "17"}
    assert template.match("/tasks/17/complete/") == {"id": "17"}
    assert template.match("/tasks/17") is None
    assert template.match("/tasks/a/b/complete") is None


def test_root_and_literal_templates() -> None:
    assert PathTemplate("/").match("/") == {}
    assert PathTemplate("/health").match("/health") == {}
    assert PathTemplate("/health").match("/healthz") is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tasks/{id}", "must start with '/'"),
        ("/tasks/{id", "whole '{name}' parameter"),
        ("/tasks/x{id}", "whole '{name}' parameter"),
        ("/tasks/{id}/{id}", "repeats parameter {id}"),
        ("/tasks//x", "empty segment"),
        ("/tasks?status=x", "query"),
        ("/tasks/{1x}", "whole '{name}' parameter"),
        ("/tasks/a b", "characters a path cannot hold"),
    ],
)
def test_bad_templates_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(PathTemplateError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        PathTemplate(text)


@given(st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), min_size=1, max_size=5))
def test_a_template_matches_any_value_in_its_parameter(segments: list[str]) -> None:
    template = PathTemplate("/" + "/".join([*segments, "{value}"]))
    assert template.match("/" + "/".join([*segments, "anything-42"])) == {"value": "anything-42"}
