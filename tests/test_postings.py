"""The in-memory inverted index: every pair found, run by run, and each (array, value) once."""

from __future__ import annotations

import numpy as np

from dedup._postings import Postings


def _postings() -> Postings:
    postings = Postings()
    postings.add(np.array([5, 7, 9], dtype=np.uint64), np.array([1, 1, 2], dtype=np.uint32))
    postings.add(np.array([7, 11], dtype=np.uint64), np.array([3, 2], dtype=np.uint32))
    return postings


def test_find_gives_every_pair_of_every_run() -> None:
    which, values = _postings().find(np.array([7, 8, 11], dtype=np.uint64))
    assert sorted(zip(which.tolist(), values.tolist(), strict=True)) == [(0, 1), (0, 3), (2, 2)]


def test_find_rare_leaves_out_whole_the_hashes_held_more_often_but_counts_them() -> None:
    held, which, values = _postings().find_rare(np.array([5, 7, 8, 11], dtype=np.uint64), 1)
    assert held.tolist() == [1, 2, 0, 1]
    assert sorted(zip(which.tolist(), values.tolist(), strict=True)) == [(0, 1), (3, 2)]


def test_find_each_gives_each_array_and_value_once() -> None:
    arrays = [np.array([5, 7], dtype=np.uint64), np.array([], dtype=np.uint64), np.array([9, 11])]
    owners, values = _postings().find_each(arrays)
    assert list(zip(owners.tolist(), values.tolist(), strict=True)) == [(0, 1), (0, 3), (2, 2)]


def test_find_each_of_nothing_is_empty() -> None:
    owners, values = _postings().find_each([np.array([], dtype=np.uint64)])
    assert owners.shape == values.shape == (0,)
