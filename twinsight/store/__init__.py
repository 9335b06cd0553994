"""Exchanges at rest: the DuckDB schema, Parquet segments, redaction before writing.

A leaf package: it imports nothing from twinsight but `twinsight.errors`.
Built by the capture issue.
"""
