"""dedup._arrays: the sorting replacement for np.unique gives np.unique's answer, and the
binary-search replacement for np.isin gives np.isin's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup._arrays import in_sorted, sorted_unique

_INT64 = st.integers(-(2**63), 2**63 - 1)
_UINT64 = st.integers(0, 2**64 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(_INT64, max_size=60), st.sampled_from(["quicksort", "stable"]))
def test_distinct_int64_values_sorted_like_np_unique(values: list[int], kind: str) -> None:
    array = np.array(values, dtype=np.int64)
    got = sorted_unique(array, kind=kind)  # type: ignore[arg-type]
    assert got.dtype == np.int64
    assert got.tolist() == np.unique(array).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(_UINT64, max_size=60))
def test_uint64_hashes_above_two_to_the_63_keep_their_order(values: list[int]) -> None:
    array = np.array(values, dtype=np.uint64)
    assert sorted_unique(array).tolist() == sorted(set(values))


def test_the_input_is_left_as_it_was() -> None:
    array = np.array([3, 1, 3, 2], dtype=np.int64)
    assert sorted_unique(array).tolist() == [1, 2, 3]
    assert array.tolist() == [3, 1, 3, 2]


@given(
    st.lists(st.one_of(st.integers(0, 100), st.integers(0, 2**32 - 1)), max_size=60),
    st.lists(st.one_of(st.integers(0, 100), st.integers(0, 2**32 - 1)), max_size=30),
)
def test_in_sorted_answers_what_isin_answers(values: list[int], wanted: list[int]) -> None:
    """Row numbers (``uint32``) looked up among sorted distinct ``int64`` numbers."""
    array = np.array(values, dtype=np.uint32)
    sorted_wanted = np.array(sorted(set(wanted)), dtype=np.int64)
    assert in_sorted(array, sorted_wanted).tolist() == np.isin(array, sorted_wanted).tolist()
