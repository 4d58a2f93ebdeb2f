"""The in-memory inverted index: every pair found, run by run, and each (array, value) once."""

from __future__ import annotations

import numpy as np

from dedup._postings import Postings
from dedup._run_sort import FILTER_MIN


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


def test_count_in_counts_the_pairs_whose_value_is_wanted_short_and_long_spans_alike() -> None:
    """Rows numbered in order (values ascending per hash), some pairs twice: a busy hash's
    span is searched for each wanted value, a quiet one's values are searched among them."""
    rng = np.random.default_rng(5)
    postings, pairs = Postings(), []
    row = 0
    for _ in range(6):  # six batches of rows, so several runs and merges
        hashes, values = [], []
        for _ in range(200):
            keys = rng.choice([3, 5, 8, 13, 21], size=rng.integers(1, 4)).tolist()
            keys += [int(rng.integers(100, 10_000))]
            hashes += keys
            values += [row] * len(keys)
            row += 1
        pairs += list(zip(hashes, values, strict=True))
        postings.add(np.array(hashes, dtype=np.uint64), np.array(values, dtype=np.uint32))
    query = np.array([3, 5, 8, 13, 21, 7, *[h for h, _ in pairs[:40]]], dtype=np.uint64)
    for wanted in ([], [0], sorted(rng.choice(row, 30, replace=False).tolist()), list(range(row))):
        got = postings.count_in(query, np.array(wanted, dtype=np.int64))
        chosen = set(wanted)
        expected = [sum(1 for h, v in pairs if h == q and v in chosen) for q in query.tolist()]
        assert got.tolist() == expected


def test_find_rare_matches_a_brute_force_search_over_many_runs() -> None:
    """Pairs of many batches (runs of every size, merged or not): each lookup counts every
    hash's pairs and gives all the pairs of the hashes held at most ``most`` times."""
    rng = np.random.default_rng(11)
    postings, batches = Postings(), []
    for size in (500, 40, 300, 7, 7, 120, 1, 60):
        hashes = rng.integers(0, 50, size).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        values = rng.integers(0, 1_000, size).astype(np.uint32)
        postings.add(hashes, values)
        batches.append((hashes, values))
    pairs = [
        (int(h), int(v)) for hashes, values in batches for h, v in zip(hashes, values, strict=True)
    ]
    query = np.unique(np.array([h for h, _ in pairs[::7]] + [3, 5], dtype=np.uint64))
    for most in (None, 1, 5, 30, 10_000):
        held, which, values = postings.find_rare(query, most)
        counts = [sum(1 for h, _ in pairs if h == q) for q in query.tolist()]
        assert held.tolist() == counts
        kept = {k for k, c in enumerate(counts) if c and (most is None or c <= most)}
        got = sorted(zip(which.tolist(), values.tolist(), strict=True))
        expected = sorted(
            (k, v) for k, q in enumerate(query.tolist()) if k in kept for h, v in pairs if h == q
        )
        assert got == expected
        assert values.dtype == np.uint32


def _hash_sets(rng: np.random.Generator, size: int) -> np.ndarray:
    """Hashes of three kinds at once: spread over all 64 bits, a few recurring ones (ties, and
    a directory entry far above its share) and the largest value."""
    spread = rng.integers(0, 2**63, size, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    recurring = rng.integers(0, 5, size).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    pick = rng.integers(0, 3, size)
    return np.where(pick == 0, spread, np.where(pick == 1, recurring, np.uint64(2**64 - 1)))


def test_a_run_is_its_pairs_stably_sorted_by_hash_with_the_directory_of_their_top_bits() -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 15, 16, 17, 100, 5_000):
        hashes = _hash_sets(rng, size)
        values = rng.integers(0, 2**32, size, dtype=np.int64).astype(np.uint32)
        postings = Postings()
        postings.add(hashes, values)
        if size == 0:
            assert postings.runs == []
            continue
        (run,) = postings.runs
        order = np.argsort(hashes, kind="stable")
        assert run.hashes.tolist() == hashes[order].tolist()
        assert run.values.tolist() == values[order].tolist()
        top = (run.hashes >> run.shift).astype(np.int64)
        entries = run.directory.shape[0] - 1
        assert run.directory.tolist() == np.searchsorted(top, np.arange(entries + 1)).tolist()
        assert 8 <= size / entries <= 16 or size < 32


def test_batches_given_to_an_empty_index_make_one_run_of_all_their_pairs_stably_sorted() -> None:
    rng = np.random.default_rng(9)
    batches = []
    for size in (1_000, 0, 700, 1_000, 3):
        values = rng.integers(0, 2**32, size, dtype=np.int64).astype(np.uint32)
        batches.append((_hash_sets(rng, size), values))
    hashes = np.concatenate([h for h, _ in batches])
    values = np.concatenate([v for _, v in batches])
    postings = Postings()
    postings.add_many(batches)
    assert batches == []  # taken off the list, to be freed as the run is made
    (run,) = postings.runs
    order = np.argsort(hashes, kind="stable")
    assert run.hashes.tolist() == hashes[order].tolist()
    assert run.values.tolist() == values[order].tolist()
    empty = Postings()
    empty.add_many([(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint32))])
    assert empty.runs == []


def test_adding_batches_at_once_to_runs_makes_the_runs_adding_them_one_by_one_makes() -> None:
    """Same runs (sizes, pairs, order of ties, directories) whatever runs were there before."""
    rng = np.random.default_rng(8)
    for before, sizes in (
        ([3_000], [1_000] * 13),
        ([2_100], [700, 700, 700, 300]),
        ([4_000, 2_000, 900], [800, 800, 10]),
        ([50], []),
        ([40], [0, 5, 0, 3]),
    ):
        batches = []
        for size in sizes:
            values = rng.integers(0, 2**32, size, dtype=np.int64).astype(np.uint32)
            batches.append((_hash_sets(rng, size), values))
        one_by_one, at_once = Postings(), Postings()
        for size in before:
            hashes = _hash_sets(rng, size)
            values = rng.integers(0, 2**32, size, dtype=np.int64).astype(np.uint32)
            one_by_one.add(hashes, values)
            at_once.add(hashes, values)
        for hashes, values in batches:
            one_by_one.add(hashes, values)
        at_once.add_many(batches)
        assert batches == []  # taken off the list, to be freed as their runs are made
        assert len(at_once.runs) == len(one_by_one.runs)
        for mine, theirs in zip(at_once.runs, one_by_one.runs, strict=True):
            assert mine.hashes.tolist() == theirs.hashes.tolist()
            assert mine.values.tolist() == theirs.values.tolist()
            assert mine.directory.tolist() == theirs.directory.tolist()
            assert mine.shift == theirs.shift


def test_a_large_runs_filter_hides_no_stored_hash_and_skips_most_others() -> None:
    """A run of FILTER_MIN pairs or more has a filter: every stored hash is still found with
    all its pairs (the reuse postings' hashes too, multiples of their sample rate), and most
    hashes it does not hold are ruled out before any search."""
    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 2**62, FILTER_MIN, dtype=np.uint64) * np.uint64(4)
    hashes[:1000] = hashes[1000:2000]  # some hashes held twice
    postings = Postings()
    postings.add(hashes, np.arange(FILTER_MIN, dtype=np.uint32))
    (run,) = postings.runs
    assert run.filter.shape[0] > 0
    stored = hashes[rng.integers(0, FILTER_MIN, 5000)]
    lo, hi = run.spans(stored)
    assert lo.tolist() == np.searchsorted(run.hashes, stored, "left").tolist()
    assert hi.tolist() == np.searchsorted(run.hashes, stored, "right").tolist()
    absent = rng.integers(0, 2**62, 5000, dtype=np.uint64) * np.uint64(4) + np.uint64(1)
    lo, hi = run.spans(absent)
    assert (lo == hi).all()
    assert np.count_nonzero(lo) < 0.1 * absent.shape[0]  # searched: the filter let it by


def test_a_small_run_has_no_filter() -> None:
    postings = Postings()
    postings.add(np.arange(1, 100, dtype=np.uint64), np.zeros(99, dtype=np.uint32))
    assert postings.runs[0].filter.shape == (0,)
