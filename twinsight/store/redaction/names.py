"""Which names are secret: the default lists, and names compared without case or punctuation."""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

__all__ = [
    "ALWAYS_REDACTED_HEADERS",
    "BODY_SUFFIXES",
    "DEFAULT_BODY_FIELDS",
    "DEFAULT_HEADERS",
    "DEFAULT_QUERY_PARAMS",
    "HEADER_SUFFIXES",
    "QUERY_SUFFIXES",
    "NameTest",
    "SecretNames",
    "canonical",
    "decoded_name",
    "secret_field",
]

ALWAYS_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
DEFAULT_HEADERS = (
    *sorted(ALWAYS_REDACTED_HEADERS),
    *("cookie2", "set-cookie2", "x-api-key", "api-key", "apikey", "x-auth-token"),
    *("x-access-token", "x-csrf-token", "x-xsrf-token", "x-amz-security-token"),
    *("x-goog-api-key", "private-token", "x-vault-token", "ocp-apim-subscription-key"),
    *("x-functions-key", "x-hub-signature", "x-hub-signature-256", "x-auth-key"),
    *("authentication",),
)
DEFAULT_QUERY_PARAMS = (
    *("token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "key"),
    *("password", "passwd", "pwd", "secret", "client_secret", "signature", "sig", "auth"),
    *("jwt", "otp", "session_id", "client_assertion", "code_verifier", "card_number"),
    *("cvv", "ssn"),
)
DEFAULT_BODY_FIELDS = (
    *("password", "passwd", "pwd", "passphrase", "password_confirmation", "password_confirm"),
    *("password_hash", "password_digest", "secret", "client_secret", "token", "access_token"),
    *("refresh_token", "id_token", "api_key", "apikey", "private_key", "authorization"),
    *("cookie", "session_id", "client_assertion", "assertion", "code_verifier", "jwt", "otp"),
    *("totp", "mfa_code", "card_number", "cc_number", "credit_card", "pan", "cvv", "cvv2"),
    *("cvc", "cvc2", "csc", "security_code", "pin", "ssn", "social_security_number", "iban"),
    *("client_key", "private_key_pem", "credential", "csrf", "xsrf", "card_no"),
    *("authorization_code", "security_answer"),
)
# Names ending so are secrets too (`new_password`, `x-csrf-token`, `webhookSecret`)...
_SUFFIXES = (
    *("password", "passwd", "passphrase", "passcode", "secret", "token", "apikey", "authkey"),
    *("privatekey", "secretkey", "secretaccesskey", "signingkey", "encryptionkey", "masterkey"),
    *("jwt", "assertion"),
)
# Not for headers: `Access-Control-Allow-Credentials: true` is no secret.
BODY_SUFFIXES = (
    *(*_SUFFIXES, "sessionid", "sessid", "cardnumber", "cardno", "credentials", "pincode"),
    *("otpcode", "verificationcode", "authorizationcode", "securityanswer", "csrf", "xsrf"),
)
QUERY_SUFFIXES = (*BODY_SUFFIXES, "signature")
HEADER_SUFFIXES = (*_SUFFIXES, "sessionid", "signature", "authorization", "authentication")
# ...except pagination cursors: opaque, not credentials, and needed verbatim by replays.
_NOT_SECRET = frozenset(
    {"pagetoken", "nextpagetoken", "prevpagetoken", "nexttoken", "continuationtoken", "synctoken"}
)

_NOT_ALNUM = bytes(b for b in range(256) if not (48 <= b <= 57 or 97 <= b <= 122))
_LEAF = re.compile(r"[\[\].]+")
_BRACKETS = re.compile(r"\[([^\]]*)\]")


def canonical(name: str) -> str:
    """`name` lower-cased with all but ASCII letters and digits dropped: `API-Key` -> `apikey`."""
    return name.encode("utf-8", "surrogatepass").lower().translate(None, _NOT_ALNUM).decode()


class SecretNames:
    """Secret names: exact ones and suffixes, compared in canonical form; answers are cached."""

    def __init__(self, exact: Iterable[str], suffixes: tuple[str, ...] = ()) -> None:
        self.exact = frozenset(canonical(name) for name in exact) - {""}
        self.suffixes = suffixes
        self.seen: dict[str, bool] = {}

    def needles(self) -> frozenset[str]:
        """Canonical strings at least one of which a matching name contains."""
        return self.exact | frozenset(self.suffixes)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        found = self.seen.get(name)
        if found is None:
            # `user[password]` and `user.password` are judged by their last part too.
            leaf = next((p for p in reversed(_LEAF.split(name)) if p), name)
            found = self._one(canonical(name)) or (leaf != name and self._one(canonical(leaf)))
            if len(self.seen) > 10_000:
                self.seen.clear()  # names are few in practice; this bounds hostile traffic
            self.seen[name] = found
        return found

    def _one(self, name: str) -> bool:
        return name in self.exact or (name.endswith(self.suffixes) and name not in _NOT_SECRET)


def secret_field(name: str, names: SecretNames, paths: frozenset[str]) -> bool:
    """Whether a form or multipart field is secret: by its name, or as a path (`user[pw]`)."""
    return name in names or _BRACKETS.sub(r".\1", name) in paths


class NameTest:
    """A cheap test whether a secret name can occur in a text, to skip most texts unscanned."""

    def __init__(self, names: SecretNames) -> None:
        # Substring tests, one per needle: for a few dozen needles they beat one regex
        # alternation about twice over (measured on a 1 MiB cut JSON body: 19 ms, 44 ms).
        self._needles = tuple(n.encode() for n in sorted(names.needles(), key=len))

    def search(self, data: bytes) -> bool:
        """False only when no secret name can occur in `data`."""
        if not self._needles:
            return False
        if b"\\" in data or b"&#" in data:
            return True  # an escape can spell a name out of sight of the test below
        # A name's letters and digits are contiguous once everything else is dropped.
        text = data.lower().translate(None, _NOT_ALNUM)
        return any(needle in text for needle in self._needles)


def decoded_name(raw: bytes) -> str:
    """A name as written in JSON or a header parameter, escapes undone where possible."""
    if b"\\" in raw:
        try:
            decoded = orjson.loads(b'"' + raw + b'"')
        except orjson.JSONDecodeError:
            return raw.decode("utf-8", "replace")
        return decoded if isinstance(decoded, str) else ""
    return raw.decode("utf-8", "replace")
