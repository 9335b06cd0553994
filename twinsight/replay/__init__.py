"""Re-sending traffic: importers (HAR, mitmproxy flows, GoReplay) and the replayer.

Produces exchanges. Built by the replay issue.
"""
