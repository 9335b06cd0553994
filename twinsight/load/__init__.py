"""`twinsight load`: the same load shape against each target in turn, measured per endpoint.

Locust does the sending, in a process of its own (`runner.py` starts it on the
locustfile shipped as a data file beside this package): gevent never meets twinsight's
asyncio, and nothing here imports locust. `plan.py` writes what locust sends,
`results.py` reads what it measured back into store rows, `service.py` runs each target.
"""

from twinsight.load.plan import LoadRequest, LoadShape
from twinsight.load.service import Progress, run_load

__all__ = ["LoadRequest", "LoadShape", "Progress", "run_load"]
