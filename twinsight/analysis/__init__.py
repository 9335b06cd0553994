"""From exchanges to verdicts: diff, normalize, noise, classify, cluster, explain.

Reads exchanges, writes derived tables; never imports the capture side.
Built so far: `diff` (two responses into atomic differences) over `jsondiff`.
"""
