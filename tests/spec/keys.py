"""The keys a spec file knows, for the fuzzers to build documents from."""

SPEC_KEYS = (
    *("feature", "scenarios", "name", "when", "then", "given", "text", "request", "method"),
    *("path", "match", "accepted", "where", "why", "constraints", "inputs", "type"),
)
