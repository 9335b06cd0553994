"""The replica's noise counted in parts adds up to the count of the whole stream: how the
replica pass runs in worker processes."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.classify import Judged, Verdict
from twinsight.analysis.diff import Difference, Message
from twinsight.analysis.judge import Judgement
from twinsight.analysis.load import Stored
from twinsight.analysis.noise import NoiseThresholds
from twinsight.analysis.pipeline import JudgedExchange, ReplicaTally, statistical_noise
from twinsight.spec.inputs import RequestView

GROUPS = st.sampled_from(["body.a", "body.b", "headers.date", "status"])
ANSWER = Message(200, (), b"{}")


@st.composite
def judged(draw: st.DrawFn) -> JudgedExchange:
    """One exchange's judgement, with or without a replica's answer."""
    targets = ["legacy", "candidate"] + (["replica"] if draw(st.booleans()) else [])
    differences = tuple(
        Judged(Difference(group, "changed"), accepted=draw(st.sampled_from([None, "spec"])))
        for group in draw(st.lists(GROUPS, max_size=3))
    )
    judgement = Judgement(
        Verdict("noise", ""),
        differences,
        (),
        frozenset(draw(st.lists(GROUPS, max_size=3))),
        frozenset(draw(st.lists(GROUPS, max_size=2))),
    )
    request = RequestView.of("GET", "/x", "", (), b"")
    stored = Stored("id", request, "", dict.fromkeys(targets, ANSWER))
    return JudgedExchange(
        stored, draw(st.sampled_from(["GET /a", "GET /b"])), "candidate", judgement
    )


@given(st.lists(judged(), max_size=40), st.lists(st.integers(0, 40), max_size=3))
def test_parts_counted_apart_add_up_to_the_whole(
    results: list[JudgedExchange], cuts: list[int]
) -> None:
    bounds = [0, *sorted(cuts), len(results)]
    merged = ReplicaTally()
    for start, end in pairwise(bounds):
        part = ReplicaTally()
        part.add(results[start:end])
        merged.merge(part)
    thresholds = NoiseThresholds()
    assert merged.noise_of(thresholds) == statistical_noise(results, thresholds)
