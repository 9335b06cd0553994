"""Locations of structured bodies without their indexes: what stays of a field whether an
answer holds it once or in a list (`body.o.line[2].price` -> `body.o.line.price`)."""

from __future__ import annotations

import re

__all__ = ["unindexed"]

_INDEX = re.compile(r"\[(\d+|\*)\]")


def unindexed(location: str) -> str:
    """`location` without its indexes: `body.o.line[2].price` -> `body.o.line.price`."""
    return _INDEX.sub("", location)
