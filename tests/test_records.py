import hashlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from twinsight.records import Body, BodyAccumulator
from twinsight.store import new_id


@given(st.lists(st.binary(max_size=64), max_size=20), st.integers(0, 300))
def test_a_streamed_body_equals_the_whole_body(chunks: list[bytes], limit: int) -> None:
    accumulator = BodyAccumulator(limit)
    for chunk in chunks:
        accumulator.add(chunk)
    whole = b"".join(chunks)
    assert accumulator.body() == Body.of(whole, limit)
    assert accumulator.body().sha256 == hashlib.sha256(whole).hexdigest()


def test_ids_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    # sub-millisecond precision: order holds except within the same ~0.25 microsecond
    out_of_order = sum(a > b for a, b in itertools.pairwise(ids))
    assert out_of_order <= len(ids) // 100
    assert all(i[14] == "7" for i in ids)
