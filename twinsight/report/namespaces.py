"""XML locations for people: `body.{urn:example:orders}order.{urn:example:orders}total`
shown as `body.orders:order.orders:total`, with a legend of the names used.

Stored locations keep the namespace URI (rules and clusters match on it); only what a
person reads is shortened. A namespace is named by the last word of its URI
(`urn:example:orders` -> `orders`, `http://schemas.xmlsoap.org/soap/envelope/` ->
`envelope`); two URIs ending in one word get `orders`, `orders2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Namespaces"]

# `{uri}` as the XML diff writes it: a URI holds a colon; `{id}` and `{origin}` do not.
_QUALIFIED = re.compile(r"\{([^{}\s]*:[^{}\s]*)\}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_GENERIC = frozenset({"http", "https", "www", "com", "org", "net", "urn", "xml", "ns"})


@dataclass
class Namespaces:
    """The short names given so far in one report, each to one URI."""

    names: dict[str, str] = field(default_factory=dict)  # uri -> name

    def short(self, text: str) -> str:
        """`text` with every `{uri}` written `name:`."""
        if "{" not in text:
            return text
        return _QUALIFIED.sub(lambda m: f"{self._name(str(m.group(1)))}:", text)

    def legend(self) -> list[tuple[str, str]]:
        """(name, uri) of every namespace shortened, in the order first met."""
        return [(name, uri) for uri, name in self.names.items()]

    def _name(self, uri: str) -> str:
        known = self.names.get(uri)
        if known is not None:
            return known
        words: list[str] = [w for w in _WORD.findall(uri) if w.lower() not in _GENERIC] or ["ns"]
        base, taken = words[-1], set(self.names.values())
        name, number = base, 2
        while name in taken:
            name, number = f"{base}{number}", number + 1
        self.names[uri] = name
        return name
