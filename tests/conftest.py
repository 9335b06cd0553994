import os

from hypothesis import settings

# Noisy 2-core machines: no per-example deadlines; CI runs are reproducible.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
