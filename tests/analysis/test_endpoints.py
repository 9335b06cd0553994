from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.endpoints import Endpoints
from twinsight.spec import PathTemplate, looks_like_id

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
