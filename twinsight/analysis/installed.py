"""What twinsight a Dask worker has: asked of every worker before work is sent to it.

`installed` is sent to the workers by value (its code, not a reference to this module), so
it runs on a worker that has no twinsight, or one too old to have this module, and says
so instead of failing to unpickle. It may therefore use the standard library only, and
only inside its body.
"""

from __future__ import annotations

__all__ = ["MODULES", "installed"]

MODULES = ("twinsight.analysis.workers", "twinsight.analysis.cluster")
"""What a task imports on the worker: each of twinsight's dependencies the judging needs."""


def installed(modules: tuple[str, ...] = MODULES) -> tuple[str | None, str | None]:
    """(twinsight's version here or None when absent, why `modules` cannot be imported or
    None when they can), as plain data a worker of any version sends back."""
    import importlib

    try:
        version = str(importlib.import_module("twinsight").__version__)
    except ImportError:
        return None, None
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return version, str(exc) or type(exc).__name__
    return version, None
