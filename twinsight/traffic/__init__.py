"""HTTP to the targets, shared by the producers of exchanges (the proxy, the sink, the replayer).

A pool per target with errors turned into error kinds, which headers cross a
hop, what keeps a session together, background tasks that cannot be lost, and
the correlation books that carry one target's ids over to another's.
It knows nothing of how a request was obtained or where the exchange goes.
"""

from twinsight.traffic.headers import (
    FORWARDING,
    HOP_BY_HOP,
    Networks,
    end_to_end,
    forwarded,
    proxied,
    relayed,
    to_tuple,
    trusts,
)
from twinsight.traffic.sessions import is_sampled, session_key
from twinsight.traffic.target import (
    READ_WHOLE_MAX,
    SAFE,
    Target,
    base_url,
    configured_targets,
    error_kind,
    payload,
    server_url,
    upstream_url,
)
from twinsight.traffic.tasks import TaskSet

__all__ = [
    "FORWARDING",
    "HOP_BY_HOP",
    "READ_WHOLE_MAX",
    "SAFE",
    "Networks",
    "Target",
    "TaskSet",
    "base_url",
    "configured_targets",
    "end_to_end",
    "error_kind",
    "forwarded",
    "is_sampled",
    "payload",
    "proxied",
    "relayed",
    "server_url",
    "session_key",
    "to_tuple",
    "trusts",
    "upstream_url",
]
