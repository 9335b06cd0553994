"""The replica's noise counted in parts adds up to the count of the whole stream: how the
replica pass runs in worker processes."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.judge import ReplicaView
from twinsight.analysis.noise import NoiseThresholds
from twinsight.analysis.pipeline import ReplicaTally

GROUPS = st.frozensets(st.sampled_from(["body.a", "body.b", "headers.date", "status"]), max_size=3)
VIEWS = st.tuples(
    st.sampled_from(["GET /a", "GET /b"]), st.builds(ReplicaView, GROUPS, GROUPS, GROUPS)
)
"""One exchange a replica answered: its endpoint and what its judgement shows."""


@given(st.lists(VIEWS, max_size=40), st.lists(st.integers(0, 40), max_size=3))
def test_parts_counted_apart_add_up_to_the_whole(
    views: list[tuple[str, ReplicaView]], cuts: list[int]
) -> None:
    bounds = [0, *sorted(cuts), len(views)]
    merged = ReplicaTally()
    for start, end in pairwise(bounds):
        part = ReplicaTally()
        part.add(views[start:end])
        merged.merge(part)
    whole = ReplicaTally()
    whole.add(views)
    thresholds = NoiseThresholds()
    assert merged.noise_of(thresholds) == whole.noise_of(thresholds)
