"""When a replayed exchange cannot be compared: refused on both sides where the recording was
not, or refused after the replay left a credential out or sent a redacted one as-is."""

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.comparable import (
    AUTH_FAILURES,
    CREDENTIAL_MISSING,
    FROM_OPTION,
    REDACTED_SENT,
    Replayed,
    degraded_kind,
    degraded_kinds,
    not_comparable,
)
from twinsight.analysis.diff import Message
from twinsight.analysis.judge import Judge
from twinsight.spec.inputs import RequestView

MISSING = "no credential for <redacted:ab12cd34ef56ab78> (authorization): header left out"
AS_IS = "redacted authorization sent as-is"
OPTION = "authorization from --header"
REQUEST = RequestView.of("GET", "/me", "", (), b"")


def test_both_refused_where_the_recording_was_answered_is_not_comparable() -> None:
    for status in sorted(AUTH_FAILURES):
        reason = not_comparable(Message(status), Message(401), Replayed(200))
        assert reason is not None
        assert "both targets" in reason
        assert "answered 200" in reason


def test_refusals_the_recording_also_got_are_compared() -> None:
    assert not_comparable(Message(401), Message(401), Replayed(401)) is None
    assert not_comparable(Message(403), Message(401), Replayed(403)) is None


def test_without_a_known_recording_only_the_notes_decide() -> None:
    assert not_comparable(Message(401), Message(401), Replayed(None)) is None
    reason = not_comparable(Message(401), Message(401), Replayed(None, (MISSING,)))
    assert reason is not None
    assert reason.startswith(f"degraded replay ({MISSING})")


def test_a_lossy_note_and_one_refusal_is_not_comparable() -> None:
    reason = not_comparable(Message(200), Message(401), Replayed(200, (AS_IS,)))
    assert reason is not None
    assert reason.endswith("authentication failed (candidate 401)")


def test_a_note_without_a_refusal_or_a_harmless_note_is_compared() -> None:
    assert not_comparable(Message(200), Message(200), Replayed(200, (MISSING,))) is None
    assert not_comparable(Message(200), Message(401), Replayed(200, (OPTION,))) is None


def test_what_was_not_replayed_is_always_compared() -> None:
    assert not_comparable(Message(401), Message(401), None) is None


def test_an_error_is_no_refusal() -> None:
    timeout = Message(None, error="timeout")
    assert not_comparable(timeout, Message(401), Replayed(200, (MISSING,))) is not None
    assert not_comparable(timeout, timeout, Replayed(200, (MISSING,))) is None


def test_note_kinds() -> None:
    assert degraded_kind(MISSING) == CREDENTIAL_MISSING
    assert degraded_kind(AS_IS) == REDACTED_SENT
    assert degraded_kind("no credential for <redacted:ab12> (query): sent as-is") == REDACTED_SENT
    cookie = "no credential for <redacted:ab12> (cookie sid): cookie left out"
    assert degraded_kind(cookie) == CREDENTIAL_MISSING
    assert degraded_kind(OPTION) == FROM_OPTION
    assert degraded_kind("something new") == "something new"
    # Two notes of one kind on one exchange count it once.
    found = degraded_kinds([((MISSING, MISSING.replace("ab12", "ff00")), 3), ((AS_IS,), 2)])
    assert found == {CREDENTIAL_MISSING: 3, REDACTED_SENT: 2}


@given(
    st.sampled_from([200, 204, 302, 404, 500]),
    st.sampled_from(sorted(AUTH_FAILURES)),
    st.sampled_from(sorted(AUTH_FAILURES)),
)
def test_a_refused_replay_of_an_answered_recording_is_never_a_match(
    recorded: int, legacy: int, candidate: int
) -> None:
    # Equal statuses and bodies: the diff alone would call the pair a match.
    judge = Judge()
    judged = judge.judge(REQUEST, Message(legacy), Message(candidate), replayed=Replayed(recorded))
    assert judged.verdict.classification == "not_comparable"
    assert judge.judge(REQUEST, Message(legacy), Message(legacy)).verdict.classification == "match"


def test_no_difference_is_looked_at_once_not_comparable() -> None:
    # Nothing of the pair is clustered, proposed or counted as noise.
    legacy = Message(401, body=b'{"error": "no token"}')
    candidate = Message(401, body=b'{"message": "unauthorized"}')
    judgement = Judge().judge(REQUEST, legacy, candidate, replayed=Replayed(200))
    assert judgement.verdict.classification == "not_comparable"
    assert (judgement.differences, judgement.lines) == ((), ())
    compared = Judge().judge(REQUEST, legacy, candidate, replayed=Replayed(401))
    assert compared.verdict.classification == "unexplained"
