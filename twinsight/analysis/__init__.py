"""From exchanges to verdicts: diff, normalize, noise, classify, cluster, explain.

Reads exchanges, writes derived tables; never imports the capture side.
Built by the analysis issue.
"""
