"""HTTP plumbing shared by the producers of exchanges (the proxy, the sink, the replayer).

A pool per target with errors turned into error kinds, which headers cross a
hop, what keeps a session together, and background tasks that cannot be lost.
It knows nothing of how a request was obtained or where the exchange goes.
"""

from twinsight.upstream.headers import HOP_BY_HOP, end_to_end, forwarded, to_tuple
from twinsight.upstream.sessions import is_sampled, session_key
from twinsight.upstream.target import Target, error_kind, payload
from twinsight.upstream.tasks import TaskSet

__all__ = [
    "HOP_BY_HOP",
    "Target",
    "TaskSet",
    "end_to_end",
    "error_kind",
    "forwarded",
    "is_sampled",
    "payload",
    "session_key",
    "to_tuple",
]
