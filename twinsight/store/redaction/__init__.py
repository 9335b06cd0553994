"""Secrets out before anything is written; equality kept so diffs still see "same vs different".

A secret is replaced by `<redacted:HMAC>`, a keyed hash of its value: equal
secrets give equal markers within one key, and the marker cannot be reversed
or brute-forced without the key. The key comes from the environment variable
`TWINSIGHT_REDACTION_KEY` (set it on every capture process whose exchanges are
compared with each other); without it each process draws a random key, so
markers compare equal only within one process. Forwarded traffic is never
touched: redaction applies to what is stored.

By default secret-looking names are redacted wherever they appear: headers,
query parameters, and fields of JSON, form, multipart and XML bodies (names
compared without case or punctuation, so `apiKey`, `api-key` and `API_KEY` are
one name), plus card numbers (13-19 digits passing the Luhn check) in any text.
The lists are in the store package's README.md. A body that may hold a secret we
cannot locate is withheld (stored empty); binary bodies are left alone.
"""

from twinsight.store.redaction.cards import luhn
from twinsight.store.redaction.marks import KEY_ENV, MARKER, WITHHELD
from twinsight.store.redaction.names import (
    ALWAYS_REDACTED_HEADERS,
    DEFAULT_BODY_FIELDS,
    DEFAULT_HEADERS,
    DEFAULT_QUERY_PARAMS,
    canonical,
)
from twinsight.store.redaction.redactor import Redactor

__all__ = [
    "ALWAYS_REDACTED_HEADERS",
    "DEFAULT_BODY_FIELDS",
    "DEFAULT_HEADERS",
    "DEFAULT_QUERY_PARAMS",
    "KEY_ENV",
    "MARKER",
    "WITHHELD",
    "Redactor",
    "canonical",
    "luhn",
]
