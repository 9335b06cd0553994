"""A UUID whose first three groups read as a card number is an id, not a card: stored whole.

In about one UUID4 in 25,000, `8-4-4` digits with dashes pass the Luhn check. The example
services' fresh `X-Request-Id` was then stored half hidden on one side
(`<redacted:...>-a97e-5df00484c52e`), no longer a UUID beside the other side's, and the
difference was left unexplained: `twinsight ready` said NOT READY on a faithful candidate.
"""

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.diff import Difference
from twinsight.analysis.inference import Evidence, infer
from twinsight.store import Redactor
from twinsight.store.redaction import luhn

# 3837 8719 4645 4953 passes the Luhn check.
CARD_SHAPED = "38378719-4645-4953-a97e-5df00484c52e"
OTHER = "0f6c2a4e-9b1d-4c3a-8e5f-7a9b0c1d2e3f"


def redactor() -> Redactor:
    return Redactor(key=b"k" * 32)


def test_the_example_really_reads_as_a_card_number() -> None:
    assert luhn(CARD_SHAPED[:18].replace("-", ""))
    ((_, value),) = redactor().redact_headers((("X-Note", CARD_SHAPED[:18]),))
    assert value.startswith("<redacted:")  # the same digits alone are still hidden


def test_a_card_shaped_uuid_is_stored_whole_in_headers_bodies_and_queries() -> None:
    r = redactor()
    assert r.redact_headers((("X-Request-Id", CARD_SHAPED),)) == (("X-Request-Id", CARD_SHAPED),)
    body = orjson.dumps({"id": CARD_SHAPED, "note": f"see {CARD_SHAPED.upper()}"})
    assert orjson.loads(r.redact_body(body, "application/json")) == orjson.loads(body)
    assert r.redact_query(f"id={CARD_SHAPED}") == f"id={CARD_SHAPED}"


def test_a_stored_card_shaped_request_id_is_still_inferred_a_fresh_token() -> None:
    ((_, stored),) = redactor().redact_headers((("X-Request-Id", CARD_SHAPED),))
    found = Difference("headers.x-request-id", "changed", stored, OTHER)
    assert infer(found, Evidence()) == "opaque"


@given(
    st.text("0123456789", min_size=8, max_size=8),
    st.text("0123456789", min_size=4, max_size=4),
    st.text("0123456789", min_size=3, max_size=3),
    st.uuids(version=4),
)
def test_any_uuid_survives_redaction(first: str, second: str, third: str, tail: object) -> None:
    # Digits-only first groups: the shape a card number can hide in (one in ten is Luhn-valid).
    value = f"{first}-{second}-4{third}-{str(tail)[19:]}"
    assert redactor().redact_headers((("X-Request-Id", value),)) == (("X-Request-Id", value),)
