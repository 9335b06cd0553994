import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.store import Redactor


def redactor(**kwargs: object) -> Redactor:
    return Redactor(key=b"k" * 32, **kwargs)  # type: ignore[arg-type]


def test_secret_headers_keep_their_shape_but_not_their_value() -> None:
    out = dict(
        redactor(headers=["X-Api-Key"]).redact_headers(
            (
                ("Authorization", "Bearer abc.def"),
                ("Cookie", "sid=123; theme=dark"),
                ("Set-Cookie", "sid=123; Path=/; HttpOnly"),
                ("x-api-key", "k-1"),
                ("Accept", "text/plain"),
            )
        )
    )
    assert out["Authorization"].startswith("Bearer <redacted:")
    assert out["Cookie"].startswith("sid=<redacted:")
    assert "; theme=<redacted:" in out["Cookie"]
    assert out["Set-Cookie"].startswith("sid=<redacted:")
    assert out["Set-Cookie"].endswith("; Path=/; HttpOnly")
    assert out["x-api-key"].startswith("<redacted:")
    assert out["Accept"] == "text/plain"
    assert not any(s in str(out) for s in ("abc.def", "123", "k-1"))


def test_repeated_headers_stay_repeated() -> None:
    headers = (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
    out = redactor().redact_headers(headers)
    assert [name for name, _ in out] == ["Set-Cookie", "Set-Cookie"]
    assert [v.split("=")[0] for _, v in out] == ["a", "b"]


@given(st.text(min_size=1), st.text(min_size=1))
def test_markers_are_equal_exactly_when_secrets_are(a: str, b: str) -> None:
    r = redactor()
    assert (r.marker(a) == r.marker(b)) == (a == b)


def test_another_key_gives_other_markers() -> None:
    assert Redactor(key=b"1" * 32).marker("x") != Redactor(key=b"2" * 32).marker("x")


def test_json_fields_by_path_through_arrays() -> None:
    body = orjson.dumps(
        {"user": {"password": "hunter2", "name": "al"}, "items": [{"token": "t1"}, {"x": 1}]}
    )
    out, parsed = redactor(body_fields=["user.password", "items.token"]).redact_json(body)
    document = orjson.loads(out)
    assert parsed
    assert document["user"]["password"].startswith("<redacted:")
    assert document["user"]["name"] == "al"
    assert document["items"][0]["token"].startswith("<redacted:")
    assert b"hunter2" not in out
    assert b"t1" not in out


def test_query_parameters() -> None:
    out = redactor(query_params=["access_token"]).redact_query("a=1&access_token=zzz")
    assert out.startswith("a=1&access_token=")
    assert "zzz" not in out


@given(st.binary(max_size=300))
def test_bad_json_never_raises(body: bytes) -> None:
    out, parsed = redactor(body_fields=["a.b"]).redact_json(body)
    assert parsed or out == body
