import orjson

from twinsight.analysis.diff import Message, diff_responses
from twinsight.analysis.origins import neutral_origin, origins_of


def answer(base: str) -> Message:
    body = orjson.dumps({"next_url": f"{base}/tasks?page=2", "self": f"{base}/tasks/9"})
    return Message(
        201, (("Location", f"{base}/tasks/9"), ("Content-Type", "application/json")), body
    )


def test_links_that_differ_only_by_server_compare_equal() -> None:
    legacy, candidate = answer("http://127.0.0.1:8081"), answer("http://10.0.0.7:9000")
    assert len(diff_responses(legacy, candidate)) == 3
    same = diff_responses(
        neutral_origin(legacy, origins_of("http://127.0.0.1:8081")),
        neutral_origin(candidate, origins_of("http://10.0.0.7:9000", "api.internal")),
    )
    assert same == []


def test_a_link_to_another_server_still_differs() -> None:
    legacy = neutral_origin(answer("http://127.0.0.1:8081"), origins_of("http://127.0.0.1:8081"))
    other = neutral_origin(answer("http://cdn.example"), origins_of("http://10.0.0.7:9000"))
    assert diff_responses(legacy, other)


def test_origins_longest_first_and_escaped_slashes() -> None:
    names = origins_of("http://h:1", "h-shadow:1")
    assert names[0].startswith("http")
    message = Message(200, (), b'{"u": "http:\\/\\/h:1\\/x"}')
    assert neutral_origin(message, names).body == b'{"u": "{origin}\\/x"}'


def test_a_default_port_is_one_origin_written_either_way() -> None:
    names = set(origins_of("http://svc.internal:80"))
    assert {"http://svc.internal", "http://svc.internal:80", "svc.internal:80"} <= names
    assert "svc.internal:443" not in names
    assert set(origins_of("https://svc.internal")) >= {"https://svc.internal:443"}
    assert "h:80" not in set(origins_of("http://h:8080"))


def test_a_base_url_with_a_bad_port_is_still_an_origin() -> None:
    assert "http://h:abc" in origins_of("http://h:abc")
    assert "h:99999" in origins_of("http://h:99999")


def test_an_origin_is_replaced_only_where_it_stands_as_a_name() -> None:
    names = origins_of("http://api")
    body = b'{"next": "http://api/tasks/2", "note": "rapid api.example.org", "host": "api"}'
    shown = neutral_origin(Message(200, (("Location", "http://api/x"),), body), names)
    assert (
        shown.body
        == b'{"next": "{origin}/tasks/2", "note": "rapid api.example.org", "host": "{origin}"}'
    )
    assert shown.headers == (("Location", "{origin}/x"),)
    # A port that only begins like the target's is another server.
    other = neutral_origin(Message(200, body=b"h:8082 and h:808/x"), origins_of("http://h:808"))
    assert other.body == b"h:8082 and {origin}/x"
    escaped = neutral_origin(
        Message(200, body=b'"http:\\/\\/h:808\\/a"'), origins_of("http://h:808")
    )
    assert escaped.body == b'"{origin}\\/a"'
