"""Card numbers in any text: 13-19 digits passing the Luhn check, hidden by their markers."""

from __future__ import annotations

import re

from twinsight.store.redaction.marks import Marker

__all__ = ["hide_cards", "hide_cards_bytes", "luhn", "may_hold_card"]

# 13-19 digits, spaces or dashes between, first digit 2-6 (the card networks' ranges); not
# inside a longer word or decimal, nor the hex of a marker, nor the start of a UUID: in about
# one UUID4 in 25,000 the first three groups read as a Luhn-valid number with dashes
# (`38378719-4645-4953-a97e-...`), and a request id or resource id was stored half hidden.
_UUID = r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_])"
_CARD = rf"(?<![0-9A-Za-z_.])(?<!redacted:)(?!{_UUID})[2-6](?:[ -]?[0-9]){{12,18}}(?![0-9A-Za-z_])"
_CARD_TAIL = r"(?<![0-9A-Za-z_.])(?<!redacted:)[2-6](?:[ -]?[0-9]){6,18}[ -]?\Z"
_CARD_STR, _CARD_BYTES = re.compile(_CARD), re.compile(_CARD.encode())
_CARD_TAIL_STR, _CARD_TAIL_BYTES = re.compile(_CARD_TAIL), re.compile(_CARD_TAIL.encode())
_NON_DIGIT = re.compile(r"[^0-9]")
_TAIL_WINDOW = 64  # longer than any cut card number `_CARD_TAIL` matches (at most 37 bytes)
_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else 120 for b in range(256))


def luhn(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check, as every card number does."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def may_hold_card(data: bytes, truncated: bool) -> bool:
    """False only when `data` holds no run of 13 digits (spaces and dashes aside)."""
    if b"\\" in data:
        return True  # JSON can spell digits as escapes
    if truncated and _CARD_TAIL_BYTES.search(data[-64:]):
        return True
    return b"0" * 13 in data.translate(_DIGITS_AS_ZERO, b" -")


def hide_cards(text: str, marker: Marker, *, tail: bool = False) -> str:
    """`text` with card numbers replaced; with `tail`, a cut number at its end too."""

    # UTF-8 keeps ASCII digits as they are and spells nothing else with those bytes.
    data = text.encode("utf-8", "surrogatepass") if len(text) >= 13 else b""
    if not tail and not may_hold_card(data, truncated=False):
        return text  # most texts (header values, ids) have no 13 digits: no regex pass

    def hide(match: re.Match[str]) -> str:
        return marker.mark(match[0]) if luhn(_NON_DIGIT.sub("", match[0])) else match[0]

    text = _CARD_STR.sub(hide, text)
    # A body cut inside a card number shows its first digits: enough to hide them too.
    return _CARD_TAIL_STR.sub(lambda m: marker.mark(m[0]), text) if tail else text


def hide_cards_bytes(data: bytes, marker: Marker, *, tail: bool = False) -> bytes:
    """`data` with card numbers replaced; with `tail`, a cut number at its end too."""

    def hide(match: re.Match[bytes]) -> bytes:
        digits = _NON_DIGIT.sub("", match[0].decode())
        return marker.mark_bytes(match[0]) if luhn(digits) else match[0]

    data = _CARD_BYTES.sub(hide, data)
    if not tail:
        return data
    # A cut number can only end the body: look at its last bytes, not all of it (the
    # search still sees what comes before them). 1 MiB of cut `2-2-2-...`: 606 ms before.
    cut = _CARD_TAIL_BYTES.search(data, max(0, len(data) - _TAIL_WINDOW))
    return data[: cut.start()] + marker.mark_bytes(cut[0]) if cut else data
