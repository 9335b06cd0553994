"""The quick test before the card-number pass never changes what a text is stored as."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from twinsight.store.redaction import cards
from twinsight.store.redaction.marks import Marker

MARKER = Marker(b"k" * 32)

# Digits, the separators a card number may have, letters and a few non-ASCII characters
# (including digits of other scripts, which are no card digits): card-like texts are common.
_TEXT = st.text(alphabet="0123456789 -4_.ab\u0663\u00e9\ud800", max_size=60)


def without_prefilter(text: str) -> str:
    """`hide_cards` as it was before the quick test: the regex pass over every text."""

    def hide(match: re.Match[str]) -> str:
        digits = cards._NON_DIGIT.sub("", match[0])
        return MARKER.mark(match[0]) if cards.luhn(digits) else match[0]

    return cards._CARD_STR.sub(hide, text)


@given(_TEXT)
@example("4111 1111 1111 1111")
@example("4111-1111-1111-1111 and 5500 0000 0000 0004")
@example("4222222222222")  # 13 digits, the shortest card number
@example("411111111111")  # 12 digits: never a card
def test_hiding_cards_with_the_quick_test_equals_the_full_pass(text: str) -> None:
    assert cards.hide_cards(text, MARKER) == without_prefilter(text)


def test_a_card_number_is_still_hidden() -> None:
    hidden = cards.hide_cards("card 4111 1111 1111 1111", MARKER)
    assert "4111" not in hidden
    assert hidden.startswith("card <redacted:")
