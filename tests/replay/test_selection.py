import pytest

from twinsight.errors import UserError
from twinsight.replay.selection import RequestFilter, request_variables
from twinsight.testing import exchange


def test_a_filter_reads_the_request_as_recorded() -> None:
    # The method keeps the case it was recorded with (scenario checks upper-case it).
    recorded = exchange("/tasks/7", method="get")
    assert request_variables(recorded)["method"] == "get"
    assert RequestFilter('request.method == "get"').accepts(recorded)
    assert not RequestFilter('request.method == "GET"').accepts(recorded)


def test_a_filter_sees_path_query_and_headers() -> None:
    recorded = exchange("/tasks/7")
    seen = request_variables(recorded)
    assert seen["path"] == "/tasks/7"
    assert "params" not in seen  # no binding matched: filters have no path parameters
    assert RequestFilter('request.path.startsWith("/tasks")').accepts(recorded)


def test_a_filter_that_cannot_evaluate_leaves_the_request_out() -> None:
    assert not RequestFilter("request.body.missing.deeper == 1").accepts(exchange())


@pytest.mark.parametrize("source", ["request.method ==", "other.method == 'GET'"])
def test_a_broken_filter_is_a_usage_error(source: str) -> None:
    with pytest.raises(UserError, match="--filter"):
        RequestFilter(source)
