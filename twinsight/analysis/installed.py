"""What twinsight a Dask worker has: asked of every worker before work is sent to it.

`installed` is sent to the workers by value (its code, not a reference to this module), so
it runs on a worker that has no twinsight, or one too old to have this module, and says
so instead of failing to unpickle. It may therefore use the standard library only, and
only inside its body (and `source_digest`'s).

A version names the code too, as a local version label (`0.1.0+3f2a9c01b7de`): two
installs of one release built from other sources (a checkout, a patched image) judge
differently, so they are told apart, by workers and by the fingerprints of analyses.
"""

from __future__ import annotations

import functools

__all__ = ["MODULES", "installed", "running_version", "source_digest"]

MODULES = ("twinsight.analysis.workers", "twinsight.analysis.cluster")
"""What a task imports on the worker: each of twinsight's dependencies the judging needs."""


def installed(modules: tuple[str, ...] = MODULES) -> tuple[str | None, str | None]:
    """(twinsight's version and code here, as `running_version` says it, or None when
    absent; why `modules` cannot be imported, or None when they can), as plain data a
    worker of any version sends back."""
    import importlib

    try:
        package = importlib.import_module("twinsight")
    except ImportError:
        return None, None
    version = f"{package.__version__}+{source_digest(package.__file__)}"
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return version, str(exc) or type(exc).__name__
    return version, None


def source_digest(init_file: str | None) -> str:
    """12 hex digits naming the Python sources of the package whose `__init__.py` is
    `init_file` (every module, by its path in the package and its bytes)."""
    import hashlib
    import pathlib

    if init_file is None:  # not from files (a namespace, a frozen build): nothing to read
        return "unknown"
    root = pathlib.Path(init_file).parent
    digest = hashlib.sha256()
    for module in sorted(root.rglob("*.py")):
        digest.update(module.relative_to(root).as_posix().encode() + b"\0")
        digest.update(module.read_bytes())
    return digest.hexdigest()[:12]


@functools.cache
def running_version() -> str:
    """This process's twinsight: its version and, as a local label, its code's digest."""
    found, _ = installed(())
    assert found is not None, "twinsight runs, so it is installed"
    return found
