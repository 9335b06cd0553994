"""twinsight: shadow-traffic differential verifier for parallel-run migrations."""

__version__ = "0.1.0"

__all__ = ["__version__"]
