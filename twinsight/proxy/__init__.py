"""Live capture: the shadow proxy, the mirror sink and the mitmproxy addon. Produces exchanges.

Built by the capture issue.
"""
