"""Reports and the readiness verdict: read-only over exchanges and analysis tables.

Built by the report issue.
"""
