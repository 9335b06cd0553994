"""An order-management SOAP 1.1 service, twice: `legacy` and its rewrite `candidate`.

`files()` is the folder holding `DIVERGENCES.md`, the ground truth of what the
candidate does differently on purpose.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["files"]


def files() -> Path:
    """The folder with the example's divergence list."""
    return Path(__file__).parent
