import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.spec import PathTemplate, PathTemplateError
from twinsight.spec.paths import path_segments


def test_template_matches_and_extracts_params() -> None:
    template = PathTemplate("/tasks/{id}/complete")
    assert template.params == ("id",)
    assert template.match("/tasks/17/complete") == {"id": "17"}
    assert template.match("/tasks/17/complete/") is None
    assert template.match("/tasks/17") is None
    assert template.match("/tasks/a/b/complete") is None


def test_root_and_literal_templates() -> None:
    assert PathTemplate("/").match("/") == {}
    assert PathTemplate("/health").match("/health") == {}
    assert PathTemplate("/health").match("/healthz") is None


def test_a_trailing_slash_is_part_of_the_template() -> None:
    # A service may answer `/v1` and `/v1/` differently (a redirect, another route).
    assert PathTemplate("/v1").match("/v1/") is None
    assert PathTemplate("/v1/").match("/v1") is None
    assert PathTemplate("/v1/").match("/v1/") == {}
    assert PathTemplate("/tasks/{id}/").match("/tasks/3/") == {"id": "3"}
    assert PathTemplate("/tasks/{id}/").match("/tasks/3") is None


def test_an_optional_trailing_slash_matches_both() -> None:
    template = PathTemplate("/tasks/{id}{/}")
    assert template.params == ("id",)
    assert template.match("/tasks/3") == {"id": "3"}
    assert template.match("/tasks/3/") == {"id": "3"}
    assert template.match("/tasks/3//") is None
    assert template.match("/tasks") is None


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
        ("/tasks{/}/x", "may only end a template"),
        ("/tasks/{/}", "in place of the trailing '/'"),
        ("/{/}", "the root '/' takes no"),
    ],
)
def test_bad_templates_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(PathTemplateError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        PathTemplate(text)


@given(st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), min_size=1, max_size=5))
def test_a_template_matches_any_value_in_its_parameter(segments: list[str]) -> None:
    template = PathTemplate("/" + "/".join([*segments, "{value}"]))
    assert template.match("/" + "/".join([*segments, "anything-42"])) == {"value": "anything-42"}


@given(
    st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_a_template_matches_exactly_its_own_trailing_slash(
    segments: list[str], template_slash: bool, path_slash: bool
) -> None:
    path = "/" + "/".join(segments)
    template = PathTemplate(path + ("/" if template_slash else ""))
    found = template.match(path + ("/" if path_slash else ""))
    assert (found is not None) == (template_slash == path_slash)
    assert PathTemplate(path + "{/}").match(path + ("/" if path_slash else "")) == {}


def test_an_encoded_slash_stays_in_its_segment_and_its_value_is_decoded() -> None:
    # One framework decodes `%2F` before routing, another routes the raw path.
    template = PathTemplate("/files/{name}")
    assert template.match("/files/a%2Fb.txt") == {"name": "a/b.txt"}
    assert template.match("/files/a/b.txt") is None
    assert template.match("/files/a%252Fb.txt") == {"name": "a%2Fb.txt"}
    assert template.match("/files/caf%C3%A9") == {"name": "café"}
    assert PathTemplate("/a%2Fb").match("/a%2Fb") == {}
    assert PathTemplate("/a%2Fb").match("/a/b") is None


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("", []),
        ("/", []),
        ("/v1", ["v1"]),
        ("/v1/", ["v1"]),
        ("/v1//", ["v1", "", ""]),
        ("//", ["", ""]),
        ("/a//b", ["a", "", "b"]),
        ("/a%2Fb", ["a%2Fb"]),
        ("/a%2Fb/", ["a%2Fb"]),
    ],
)
def test_path_segments_are_raw_and_keep_empty_ones(path: str, segments: list[str]) -> None:
    assert path_segments(path) == segments


@given(st.lists(st.sampled_from(["a", "", "%2F", "a%2Fb", "17"]), max_size=5))
def test_path_segments_rejoin_to_the_path_but_for_a_trailing_slash(segments: list[str]) -> None:
    # Nothing is decoded nor folded: only a single `/` after a named segment is dropped.
    path = "/" + "/".join(segments)
    rebuilt = "/" + "/".join(path_segments(path))
    assert rebuilt == path or (rebuilt + "/" == path and not rebuilt.endswith("/"))
