"""Optional dependencies: import them by name, or tell the user which extra installs them."""

from __future__ import annotations

import importlib
from types import ModuleType

from twinsight.errors import MissingExtra

__all__ = ["EXTRAS", "MissingExtra", "require"]

# extra name -> the distributions it installs (mirrors pyproject's optional-dependencies)
EXTRAS = {
    "mitm": ("mitmproxy",),
    "load": ("locust",),
}


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module`, or raise a one-line error naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{feature} needs the [{extra}] extra: pip install 'twinsight[{extra}]'"
        ) from None
