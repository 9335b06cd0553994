"""The SDD proposal's Task Management service, twice: `legacy` and `candidate`.

`files()` is the folder holding `spec.yaml`, `spec-plain.yaml` and `DIVERGENCES.md`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["files"]


def files() -> Path:
    """The folder with the example's spec files and its divergence list."""
    return Path(__file__).parent
