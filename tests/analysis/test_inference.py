"""Inferred noise on one difference: times in their window, opaque tokens, correlated ids, and the
safeguards that keep a real divergence at a volatile location real."""

import secrets
import uuid
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from twinsight.analysis import inference_values
from twinsight.analysis.diff import Difference
from twinsight.analysis.inference import Evidence, Window, infer, inferred_noise
from twinsight.analysis.inference_values import entropy, opaque_shape, time_of

NOW = 1_796_032_800.0  # 2026-11-30T10:00:00Z
WINDOWS = Evidence(Window(NOW, NOW + 0.2), Window(NOW + 0.01, NOW + 0.3))


def changed(legacy: Any, candidate: Any, location: str = "body.value") -> Difference:
    kind = "changed" if type(legacy) is type(candidate) else "type"
    return Difference(location, kind, legacy, candidate)


# times


def test_iso_times_inside_each_window_are_inferred() -> None:
    difference = changed("2026-11-30T10:00:00.050Z", "2026-11-30T10:00:00.250Z")
    assert infer(difference, WINDOWS) == "time"
    assert inferred_noise(difference, WINDOWS) == "inferred: time"


def test_times_to_the_second_are_inferred_though_truncated() -> None:
    assert infer(changed("2026-11-30T10:00:00Z", "2026-11-30T10:00:01Z"), WINDOWS) == "time"


def test_http_dates_and_epochs_are_inferred() -> None:
    http = "Mon, 30 Nov 2026 10:00:00 GMT"
    assert infer(changed(http, "Mon, 30 Nov 2026 10:00:01 GMT", "headers.date"), WINDOWS) == "time"
    assert infer(changed(int(NOW * 1000) + 5, int(NOW * 1000) + 250), WINDOWS) == "time"
    assert infer(changed(int(NOW), int(NOW) + 1), WINDOWS) == "time"
    assert infer(changed(str(int(NOW)), str(int(NOW) + 1)), WINDOWS) == "time"


def test_a_time_outside_its_window_is_real() -> None:
    # The candidate answers with a stored date a day old: a real divergence at a time field.
    assert infer(changed("2026-11-30T10:00:00Z", "2026-11-29T10:00:00Z"), WINDOWS) is None
    assert infer(changed(int(NOW * 1000), int(NOW * 1000) - 60_000), WINDOWS) is None


def test_one_earlier_event_stamped_by_each_side_is_inferred() -> None:
    # A mirrored write's `updated_at`, read back later: outside this answer's window on both
    # sides, and apart by less than the clock tolerance.
    before = int((NOW - 3600) * 1000)
    assert infer(changed(before, before + 40, "body.data[0].last_modified"), WINDOWS) == "time"
    assert infer(changed(before, before + 40, "body.updatedAt"), WINDOWS) == "time"
    validator = f'"{before}"'  # an ETag that is the record's version stamp
    assert infer(changed(validator, f'"{before + 40}"', "headers.etag"), WINDOWS) == "time"
    http = "Mon, 30 Nov 2026 09:00:00 GMT"
    found = infer(changed(http, "Mon, 30 Nov 2026 09:00:01 GMT", "headers.last-modified"), WINDOWS)
    assert found == "time"


def test_numbers_that_only_read_as_earlier_times_are_real() -> None:
    # An ISBN, a phone number, a balance: digits of an epoch's length, apart by a few.
    assert infer(changed(9780306406157, 9780306406164, "body.isbn"), WINDOWS) is None
    assert infer(changed("5551234567", "5551234569", "body.phone"), WINDOWS) is None
    assert infer(changed(1234567890, 1234567893, "body.balance"), WINDOWS) is None
    # Named as times but years old, or in the future: not one recent event either.
    assert infer(changed(1234567890, 1234567893, "body.updated_at"), WINDOWS) is None
    later = int((NOW + 3600) * 1000)
    assert infer(changed(later, later + 40, "body.expires_at"), WINDOWS) is None


def test_a_weak_and_a_strong_etag_are_two_formats() -> None:
    stamp = int(NOW * 1000)
    found = infer(changed(f'"{stamp}"', f'W/"{stamp + 1}"', "headers.etag"), WINDOWS)
    assert found is None
    assert time_of('"' * 3000) is None  # nested quotes: no recursion
    assert opaque_shape('"' * 3000) is None


def test_a_time_one_side_did_not_bump_is_real() -> None:
    # The legacy stamps this answer; the candidate keeps the time of an earlier write.
    assert infer(changed(int(NOW * 1000) + 50, int(NOW * 1000) - 60_000), WINDOWS) is None
    # Two earlier events far apart are two events.
    assert infer(changed(int(NOW) - 3600, int(NOW) - 7200), WINDOWS) is None


def test_a_time_of_another_format_is_real() -> None:
    assert infer(changed("2026-11-30T10:00:00Z", int(NOW)), WINDOWS) is None  # ISO vs epoch
    assert infer(changed("2026-11-30T10:00:00Z", "2026-11-30T10:00:00+00:00"), WINDOWS) is None
    assert infer(changed(int(NOW), int(NOW * 1000)), WINDOWS) is None  # seconds vs millis
    assert infer(changed(int(NOW), str(int(NOW))), WINDOWS) is None  # number vs digits
    assert infer(changed("Mon, 30 Nov 2026 10:00:00 GMT", "2026-11-30T10:00:00Z"), WINDOWS) is None
    assert infer(changed(f'"{int(NOW)}"', int(NOW)), WINDOWS) is None  # ETag vs number


def test_times_without_a_window_are_not_inferred() -> None:
    difference = changed("2026-11-30T10:00:00Z", "2026-11-30T10:00:01Z")
    assert infer(difference, Evidence()) is None


def test_small_numbers_are_not_times() -> None:
    assert time_of(17) is None
    assert time_of(True) is None
    assert time_of("2026-11-30") is None  # a date alone is not stamped per exchange
    assert time_of("not a time") is None


# opaque values


def test_opaque_tokens_of_one_shape_are_inferred() -> None:
    pairs = [
        (str(uuid.uuid4()), str(uuid.uuid4())),
        (secrets.token_hex(32), secrets.token_hex(32)),
        ("Zk3pQ9xV2mTb7LwR1nYc8a==", "Hq5Rt2Ws9Xv4Bm7Nk1Pz3c=="),
        (
            "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$2b$12$" + "EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW",
        ),
        ('W/"4f2c9a1be07d3e55"', 'W/"a90b3c7e51f2d846"'),
    ]
    for legacy, candidate in pairs:
        assert infer(changed(legacy, candidate), Evidence()) == "opaque", legacy


def test_opaque_tokens_of_another_shape_are_real() -> None:
    pairs = [
        (secrets.token_hex(32), secrets.token_hex(20)),  # a hash of another length
        (secrets.token_hex(16), secrets.token_hex(16).upper()),
        (str(uuid.uuid4()), secrets.token_hex(16)),
        (
            "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$2b$10$" + "EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW",
        ),  # another cost
        ('W/"4f2c9a1be07d3e55"', '"a90b3c7e51f2d846"'),  # a weak validator became strong
        (str(uuid.uuid4()), None),
    ]
    for legacy, candidate in pairs:
        assert infer(changed(legacy, candidate), Evidence()) is None, (legacy, candidate)


def test_words_and_slugs_are_not_opaque() -> None:
    for value in (
        "pending",
        "kinto-tips-and-tricks",
        "aaaaaaaaaaaaaaaaaaaa",
        "1234567890123456789",
    ):
        assert opaque_shape(value) is None, value
    assert infer(changed("in_progress", "completed"), Evidence()) is None
    assert entropy("") == 0.0


# correlated ids


PAIRS = frozenset({("17", "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d")})
CORRELATED = Evidence(correlated=PAIRS)


def test_a_correlated_pair_is_inferred_whatever_its_types() -> None:
    difference = changed(17, "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d", "body.id")
    assert difference.kind == "type"
    assert inferred_noise(difference, CORRELATED) == "inferred: correlated id"


def test_an_address_naming_a_correlated_id_is_inferred() -> None:
    difference = changed(
        "/tasks/17", "/tasks/0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d", "headers.location"
    )
    assert infer(difference, CORRELATED) == "correlated id"


def test_an_address_whose_differing_parts_are_each_noise_is_inferred() -> None:
    token_a, token_b = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    page = "{origin}/v1/records?_sort=name&_limit=3&_token="
    assert infer(changed(page + token_a, page + token_b, "headers.next-page"), WINDOWS) == "opaque"
    uid = "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"
    both = Evidence(WINDOWS.legacy, WINDOWS.candidate, correlated=PAIRS)
    mixed = changed(f"/tasks/17?cursor={token_a}", f"/tasks/{uid}?cursor={token_b}", "body.next")
    assert infer(mixed, both) == "opaque"
    since = changed(f"/feed?since={int(NOW)}", f"/feed?since={int(NOW) + 1}", "body.next")
    assert infer(since, WINDOWS) == "time"


def test_an_address_that_changes_in_structure_or_meaning_is_real() -> None:
    token_a, token_b = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    base = "{origin}/v1/records?_limit=3&_token="
    other = "{origin}/v1/records?_limit=4&_token="
    assert infer(changed(base + token_a, other + token_b), WINDOWS) is None  # a limit changed
    renamed = "{origin}/v1/records?_limit=3&page_token="
    assert infer(changed(base + token_a, renamed + token_b), WINDOWS) is None
    moved = "{origin}/v2/records?_limit=3&_token="
    assert infer(changed(base + token_a, moved + token_b), WINDOWS) is None
    assert infer(changed(base + token_a, base + token_b + "&x=1"), WINDOWS) is None


def test_an_id_not_correlated_is_real() -> None:
    # The candidate names another entity, or changes the id's type without a learned pair.
    assert infer(changed(18, "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"), CORRELATED) is None
    assert infer(changed(17, "17"), CORRELATED) is None
    assert (
        infer(changed("/tasks/17", "/tasks/0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d/x"), CORRELATED)
        is None
    )
    assert (
        infer(changed("/users/17", "/people/0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"), CORRELATED)
        is None
    )
    assert infer(changed(True, "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"), CORRELATED) is None


# presence


def test_a_location_left_out_or_added_is_never_inferred() -> None:
    evidence = Evidence(WINDOWS.legacy, WINDOWS.candidate, PAIRS)
    for kind, legacy, candidate in [
        ("missing", "2026-11-30T10:00:00Z", None),
        ("extra", None, "2026-11-30T10:00:00Z"),
        ("missing", secrets.token_hex(32), None),
        ("extra", None, "0b5e2c1a-8f7d-4c2b-9a1e-3d4f5a6b7c8d"),
    ]:
        assert infer(Difference("body.x", kind, legacy, candidate), evidence) is None  # type: ignore[arg-type]


def test_window_of_an_unknown_start_is_none() -> None:
    assert Window.of(None, 10) is None
    assert Window.of(NOW, None) == Window(NOW, NOW)
    assert Window.of(NOW, 250) == Window(NOW, NOW + 0.25)


# properties

_TIMES = st.one_of(
    st.integers(int(NOW) - 2, int(NOW) + 2),
    st.integers(int(NOW * 1000) - 2000, int(NOW * 1000) + 2000),
    st.integers(int(NOW) - 2, int(NOW) + 2).map(str),
    st.sampled_from(["2026-11-30T10:00:00Z", "2026-11-30T10:00:00.1+00:00", "2026-11-30 10:00:01"]),
    st.sampled_from(["Mon, 30 Nov 2026 10:00:00 GMT"]),
    st.integers(int(NOW * 1000) - 2000, int(NOW * 1000) + 2000).map(lambda n: f'"{n}"'),
)
_TOKENS = st.one_of(
    st.uuids().map(str),
    st.integers(8, 40).map(secrets.token_hex),
    st.integers(12, 40).map(secrets.token_urlsafe),
    st.text(min_size=0, max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_VALUES = st.one_of(_TIMES, _TOKENS)


@given(_VALUES, _VALUES)
@example("LTmQyi9xS80x13p8lQ", "WAozz_QOhZWaTzIx-w")  # a token without digits beside one
def test_a_type_or_format_change_is_never_inferred(legacy: Any, candidate: Any) -> None:
    evidence = Evidence(WINDOWS.legacy, WINDOWS.candidate)
    found = infer(changed(legacy, candidate), evidence)
    if type(legacy) is not type(candidate):
        assert found is None
    elif found == "time":
        ours, theirs = time_of(legacy), time_of(candidate)
        assert ours is not None
        assert theirs is not None
        assert ours.format == theirs.format
    elif found == "opaque":
        # One shape on both sides; a side without digits is read beside the other's shape.
        ours, theirs = opaque_shape(legacy), opaque_shape(candidate)
        ours = ours or opaque_shape(legacy, beside=theirs)
        theirs = theirs or opaque_shape(candidate, beside=ours)
        assert ours == theirs is not None
    else:
        assert found is None


@given(st.integers(-10_000, 10_000), st.integers(-10_000, 10_000))
def test_a_time_stamped_now_on_one_side_only_is_never_inferred(now: int, before: int) -> None:
    # However close, a time inside one side's window against one outside the other's is real.
    legacy = int(NOW * 1000) + now % 200  # inside the legacy's window
    candidate = int((NOW - 7) * 1000) - before % 500  # before the candidate's, skew allowed
    assert infer(changed(legacy, candidate), WINDOWS) is None


def test_secrets_each_side_issued_are_opaque_once_redacted() -> None:
    # A login answers a fresh token on each side; the store keeps keyed hashes of them.
    legacy, candidate = "<redacted:0123456789abcdef>", "<redacted:fedcba9876543210>"
    assert opaque_shape(legacy) == "redacted secret"
    assert infer(changed(legacy, candidate, "body.token"), WINDOWS) == "opaque"
    # The legacy served that secret before: a fixed credential, so a change is real.
    repeated = Evidence(WINDOWS.legacy, WINDOWS.candidate, repeated=frozenset({"body.token"}))
    assert infer(changed(legacy, candidate, "body.token"), repeated) is None
    assert opaque_shape("<redacted:0123>") is None
    # Stable personal data, redacted, is no token: a candidate serving another SSN is real.
    for name in ("body.ssn", "body.card_number", "body.password"):
        assert infer(changed(legacy, candidate, name), WINDOWS) is None


def test_random_tokens_without_digits_are_opaque_words_are_not() -> None:
    assert opaque_shape("OCxgSORgAFWLztfR") == "base64 16"
    assert opaque_shape("TWt8mg65mIJ-Db5x") == "base64 16"
    for word in ("PendingApproval", "AwaitingApproval", "InternalServerError", "applicationJson"):
        assert opaque_shape(word) is None


def test_a_random_token_without_digits_beside_one_with_digits_is_opaque() -> None:
    # `OCxgSORgAFWLztfo` alone is too close to a word to call random; beside a base64 token
    # of its length, it is the same kind of value.
    assert opaque_shape("OCxgSORgAFWLztfo") is None
    difference = changed("OCxgSORgAFWLztfo", "TWt8mg65mIJ-Db5x", "body.@nonce")
    assert infer(difference, WINDOWS) == "opaque"
    # A word where the legacy served a token is a real change, even of the token's length.
    token = "TWt8mg65mIJ-Db5x"
    assert infer(changed(token, "PendingApprovals"), WINDOWS) is None
    assert infer(changed("PendingApprovals", token), WINDOWS) is None


@given(st.text(max_size=40) | st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
@example("ǅungla")  # a titlecase letter: neither lower nor upper
@example("Ⅻ9ⅻ")  # letter numbers that change case; a digit
def test_the_ascii_shortcuts_of_token_shapes_say_what_each_character_says(value: str) -> None:
    has_cases = any(c.islower() for c in value) and any(c.isupper() for c in value)
    assert inference_values._cases(value) == has_cases
    assert inference_values._has_digit(value) == any(c.isdigit() for c in value)
