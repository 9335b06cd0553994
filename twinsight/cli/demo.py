"""`twinsight demo`."""

from __future__ import annotations

from twinsight.cli.console import out

__all__ = ["demo"]


def demo() -> None:
    """Run the bundled example end to end with whatever stages exist so far.

    Example: twinsight demo
    """
    from twinsight.demo import run_demo

    run_demo(out)
