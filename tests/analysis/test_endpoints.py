from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.endpoints import Endpoints
from twinsight.identifiers import looks_like_id
from twinsight.spec import PathTemplate
from twinsight.spec.paths import path_segments

UUID = "0b5e6a3c-1d2e-4f00-8a1b-2c3d4e5f6a7b"


def test_integer_and_uuid_ids_give_one_endpoint() -> None:
    endpoints = Endpoints()
    assert endpoints.of("post", "/tasks/17/complete") == "POST /tasks/{id}/complete"
    assert endpoints.of("POST", f"/tasks/{UUID}/complete") == "POST /tasks/{id}/complete"
    assert endpoints.of("GET", "/tasks?status=pending") == "GET /tasks"
    assert endpoints.of("GET", "/") == "GET /"
    assert endpoints.of("GET", "/a/1/b/2") == "GET /a/{id}/b/{id2}"


def test_spec_templates_come_first_and_the_most_specific_wins() -> None:
    endpoints = Endpoints(
        [("GET", PathTemplate("/tasks/{task}")), ("GET", PathTemplate("/tasks/summary"))]
    )
    assert endpoints.of("GET", "/tasks/summary") == "GET /tasks/summary"
    assert endpoints.of("GET", "/tasks/abc") == "GET /tasks/{task}"
    assert endpoints.of("DELETE", "/tasks/17") == "DELETE /tasks/{id}"


def test_many_literals_after_one_prefix_become_a_parameter() -> None:
    endpoints = Endpoints(max_literals=5)
    users = [("GET", f"/users/user{i}name/posts") for i in range(6)]
    endpoints.learn([*users, ("GET", "/tasks"), ("GET", "/health")])
    assert endpoints.of("GET", "/users/zed/posts") == "GET /users/{id}/posts"
    assert endpoints.of("GET", "/tasks") == "GET /tasks"  # few literals at the root


def test_shapes() -> None:
    assert all(map(looks_like_id, ["17", UUID, "deadbeef1234", "aB3_" * 6]))
    assert not any(map(looks_like_id, ["tasks", "complete", "deadbeef", "v2", "x" * 30]))


@given(st.text(max_size=40), st.sampled_from(["GET", "post"]))
def test_any_path_gets_a_valid_template(path: str, method: str) -> None:
    endpoint = Endpoints().of(method, path)
    assert endpoint.startswith(method.upper() + " /")


SLUGS = ["intro", "kinto-tips", "release-notes", "faq", "getting-started", "roadmap", "about"]


def test_slugs_under_one_parent_fold_once_enough_distinct_ones_are_seen() -> None:
    endpoints = Endpoints()
    endpoints.learn([("GET", f"/records/{slug}") for slug in SLUGS[:4]])
    assert endpoints.of("GET", "/records/intro") == "GET /records/intro"  # too few to tell
    endpoints = Endpoints()
    endpoints.learn(
        [
            *(("GET", f"/records/{slug}") for slug in SLUGS),
            ("PUT", "/records/intro"),
            *(("GET", "/tasks") for _ in range(20)),
            ("GET", "/health"),
        ]
    )
    assert endpoints.of("GET", "/records/kinto-tips") == "GET /records/{id}"
    assert endpoints.of("PUT", "/records/intro") == "PUT /records/{id}"
    assert endpoints.of("GET", "/records/never-seen") == "GET /records/{id}"
    assert endpoints.of("GET", "/tasks") == "GET /tasks"
    assert endpoints.of("GET", "/health") == "GET /health"


def test_slugs_read_again_and_again_fold_when_there_are_many_of_them() -> None:
    endpoints = Endpoints()
    endpoints.learn([("GET", f"/pages/page-{chr(97 + i)}x") for i in range(12) for _ in range(3)])
    assert endpoints.of("GET", "/pages/page-ax") == "GET /pages/{id}"
    few = Endpoints()
    few.learn([("GET", f"/pages/page-{chr(97 + i)}x") for i in range(6) for _ in range(3)])
    assert few.of("GET", "/pages/page-ax") == "GET /pages/page-ax"


def test_a_very_long_segment_is_a_parameter_whatever_its_shape() -> None:
    long_id = "record-" + "x" * 193
    assert Endpoints().of("GET", f"/records/{long_id}/attachments") == (
        "GET /records/{id}/attachments"
    )
    assert Endpoints().of("GET", "/records/" + "y" * 64) == "GET /records/" + "y" * 64


def test_children_of_folded_slugs_are_judged_together() -> None:
    endpoints = Endpoints()
    endpoints.learn(
        [("GET", f"/buckets/{slug}/collections/{slug}-c/records") for slug in SLUGS]
        + [("GET", f"/buckets/{slug}/groups") for slug in SLUGS[:2]]
    )
    assert endpoints.of("GET", "/buckets/faq/collections/faq-c/records") == (
        "GET /buckets/{id}/collections/{id2}/records"
    )
    assert endpoints.of("GET", "/buckets/faq/groups") == "GET /buckets/{id}/groups"


def test_a_few_versions_stay_literal_however_much_traffic() -> None:
    endpoints = Endpoints()
    endpoints.learn(
        [("GET", f"/api/{version}/tasks") for version in ("v1", "v2") for _ in range(100)]
        + [("GET", f"/api/{word}") for word in ("health", "status", "login", "logout")]
    )
    assert endpoints.of("GET", "/api/v1/tasks") == "GET /api/v1/tasks"
    assert endpoints.of("GET", "/api/v2/tasks") == "GET /api/v2/tasks"
    assert endpoints.of("GET", "/api/login") == "GET /api/login"


def test_the_first_segment_names_a_resource_unless_there_are_very_many() -> None:
    endpoints = Endpoints()
    endpoints.learn([("GET", f"/{slug}") for slug in SLUGS])
    assert endpoints.of("GET", "/faq") == "GET /faq"


def test_spec_templates_win_over_folded_positions() -> None:
    endpoints = Endpoints([("GET", PathTemplate("/records/summary"))])
    endpoints.learn([("GET", f"/records/{slug}") for slug in [*SLUGS, "summary"]])
    assert endpoints.of("GET", "/records/summary") == "GET /records/summary"
    assert endpoints.of("GET", "/records/faq") == "GET /records/{id}"


_SLUG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
_PATHS = st.tuples(
    st.sampled_from(["api", "svc"]),
    st.sampled_from(["v1", "v2", "beta", "internal"]),
    _SLUG,
    st.sampled_from(["tasks", "complete", "items", ""]),
)


@given(st.lists(_PATHS, min_size=1, max_size=80), st.sampled_from(["GET", "POST"]))
def test_folding_never_merges_paths_differing_at_a_low_cardinality_position(
    parts: list[tuple[str, str, str, str]], method: str
) -> None:
    paths = ["/" + "/".join(p for p in part if p) for part in parts]
    endpoints = Endpoints()
    endpoints.learn((method, path) for path in paths)
    for one, path in zip(parts, paths, strict=True):
        for other, other_path in zip(parts, paths, strict=True):
            if (one[0], one[1], one[3]) != (other[0], other[1], other[3]):
                assert endpoints.of(method, path) != endpoints.of(method, other_path)


def test_an_empty_segment_is_a_different_endpoint() -> None:
    endpoints = Endpoints([("GET", PathTemplate("/v1{/}"))])
    assert endpoints.of("GET", "/v1/") == "GET /v1{/}"
    assert endpoints.of("GET", "/v1//") == "GET /v1//"  # one framework folds it, one says 404
    inferred = Endpoints()
    assert inferred.of("GET", "/v1/") == inferred.of("GET", "/v1") == "GET /v1"
    assert inferred.of("GET", "/v1//") == "GET /v1//"
    assert inferred.of("GET", "/a//b") == "GET /a//b"
    assert inferred.of("GET", "//") == "GET //"
    assert inferred.of("GET", "/tasks//17") == "GET /tasks//{id}"


def test_an_empty_segment_is_no_value_of_a_folded_position() -> None:
    endpoints = Endpoints()
    endpoints.learn(
        [("GET", f"/records/{slug}/tags") for slug in SLUGS] + [("GET", "/records//tags")]
    )
    assert endpoints.of("GET", "/records/faq/tags") == "GET /records/{id}/tags"
    assert endpoints.of("GET", "/records//tags") == "GET /records//tags"


_SEGMENT = st.sampled_from(["a", "b", "tasks", "17", "v1", *SLUGS[:3]])
_TEMPLATES = st.lists(
    st.sampled_from(["/a/{x}", "/a/{x}/b", "/{x}", "/a{/}", "/tasks/{x}/{y}", "/v1/{x}{/}"]),
    max_size=3,
)


@given(
    st.lists(_SEGMENT, min_size=1, max_size=5),
    st.data(),
    _TEMPLATES,
    st.lists(st.lists(_SEGMENT, max_size=4), max_size=30),
    st.booleans(),
)
def test_a_path_with_a_segment_emptied_or_added_empty_is_another_endpoint(
    segments: list[str],
    data: st.DataObject,
    templates: list[str],
    learned: list[list[str]],
    trailing: bool,
) -> None:
    endpoints = Endpoints([("GET", PathTemplate(t)) for t in templates], min_distinct=2)
    endpoints.learn(("GET", "/" + "/".join(s)) for s in learned)
    index = data.draw(st.integers(0, len(segments) - 1))
    slash = "/" if trailing else ""
    path = "/" + "/".join(segments) + slash
    emptied = "/" + "/".join([*segments[:index], "", *segments[index + 1 :]]) + slash
    doubled = "/" + "/".join([*segments[:index], "", *segments[index:]]) + slash
    assert endpoints.of("GET", emptied) != endpoints.of("GET", path)
    assert endpoints.of("GET", doubled) != endpoints.of("GET", path)


def test_an_encoded_slash_is_a_segment_of_its_own() -> None:
    # One framework decodes `%2F` before routing, another routes the raw path and answers
    # 404, a third refuses it with 400: `/a%2Fb` is not `/a/b`, nor `/a%252Fb`.
    endpoints = Endpoints()
    assert endpoints.of("GET", "/a%2Fb") == "GET /a%2Fb"
    assert endpoints.of("GET", "/a/b") == "GET /a/b"
    assert endpoints.of("GET", "/a%252Fb") == "GET /a%252Fb"
    assert endpoints.of("GET", "/files/17%2Exml") == "GET /files/17%2Exml"
    assert endpoints.of("GET", "/files/17.xml") == "GET /files/{id}.xml"
    assert endpoints.of("GET", f"/tasks/{UUID.replace('-', '%2D')}") == "GET /tasks/{id}"


def test_a_template_parameter_takes_an_encoded_slash_and_no_real_one() -> None:
    endpoints = Endpoints([("GET", PathTemplate("/files/{name}"))])
    assert endpoints.of("GET", "/files/a%2Fb.txt") == "GET /files/{name}"
    assert endpoints.of("GET", "/files/a/b.txt") == "GET /files/a/b.txt"


_RAW = st.sampled_from(
    ["a", "b", "files", "17", "%31%37", "a%2Fb", "a%2fb", "a%252Fb", "%2F", "%61", "x.txt",
     "a%2Fb.txt", "17.xml", "17%2Exml", "caf%C3%A9", "café", ""]
)  # fmt: skip
_RAW_TEMPLATES = st.lists(
    st.sampled_from(["/files/{name}", "/a/{x}", "/{x}/b", "/a%2Fb/{x}", "/files{/}"]), max_size=3
)


def _segments_of(path: str) -> list[str]:
    return path_segments(path.partition(" ")[2].removesuffix("{/}"))


@given(
    st.lists(_RAW, min_size=1, max_size=4),
    st.data(),
    _RAW_TEMPLATES,
    st.lists(st.lists(_RAW, max_size=4), max_size=30),
)
def test_paths_whose_raw_segments_differ_share_an_endpoint_only_at_a_parameter(
    one: list[str], data: st.DataObject, templates: list[str], learned: list[list[str]]
) -> None:
    endpoints = Endpoints([("GET", PathTemplate(t)) for t in templates], min_distinct=2)
    endpoints.learn(("GET", "/" + "/".join(s)) for s in learned)
    index = data.draw(st.integers(0, len(one) - 1))
    other = [*one[:index], data.draw(_RAW), *one[index + 1 :]]
    if data.draw(st.booleans()):  # or another path altogether
        other = data.draw(st.lists(_RAW, min_size=1, max_size=4))
    path, other_path = "/" + "/".join(one), "/" + "/".join(other)
    endpoint = endpoints.of("GET", path)
    if endpoint != endpoints.of("GET", other_path):
        return
    mine, theirs, shown = path_segments(path), path_segments(other_path), _segments_of(endpoint)
    assert len(mine) == len(theirs) == len(shown)
    for raw, other_raw, segment in zip(mine, theirs, shown, strict=True):
        assert raw == other_raw or "{" in segment
