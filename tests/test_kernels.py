"""Specification of dedup._kernels: each compiled kernel against a plain-Python reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Config, Fingerprinter, tokenize
from dedup import _kernels as k
from dedup import _minhash_kernels as mk
from dedup import _set_kernels as sk
from dedup._xxh64 import xxh64

ROOT = Path(__file__).resolve().parent.parent
MASK64 = (1 << 64) - 1

words = st.one_of(
    st.sampled_from(["the", "cat", "sat", "on", "mat", "Straße", "ﬁn", "東京", "naïve", "x"]),
    st.text(alphabet=st.characters(categories=["L", "Nd", "Mn"]), min_size=1, max_size=8),
)
separators = st.sampled_from([" ", "  ", ", ", "\n\n", "\u00a0", " - ", "\u2019", "\t"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(words, separators), max_size=25))
    return "".join(w + s for w, s in parts)


# --- XXH64 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 0x9E3779B97F4A7C15, MASK64])
def test_xxh64_matches_xxhash_for_every_length_up_to_200(seed):
    """The XXH64 kernel equals ``xxhash.xxh64_intdigest`` for inputs of 0..200 bytes."""
    data = np.random.default_rng(seed & 0xFFFF).integers(0, 256, 200, dtype=np.uint8)
    for length in range(201):
        expected = xxhash.xxh64_intdigest(data[:length].tobytes(), seed=seed)
        assert int(xxh64(data, 0, length, np.uint64(seed))) == expected, length


def test_xxh64_hashes_a_slice_in_place():
    """``xxh64(buf, start, end, seed)`` hashes exactly ``buf[start:end]`` whatever surrounds it."""
    data = np.frombuffer(b"prefix-" + bytes(range(256)) * 2 + b"-suffix", dtype=np.uint8)
    for start, end in [(0, 0), (7, 7), (7, 10), (3, 40), (7, 519), (100, 167)]:
        expected = xxhash.xxh64_intdigest(data[start:end].tobytes())
        assert int(xxh64(data, start, end, np.uint64(0))) == expected


# --- Token streams -------------------------------------------------------------------------


def test_token_buffer_holds_characters_that_case_folding_would_shrink():
    """With case folding off, a long text of characters that folding shrinks (Kelvin sign, long s)
    is tokenised correctly instead of overrunning the token buffer (run in a child process, since
    an overrun corrupts the heap)."""
    code = (
        "from dedup import Config, Fingerprinter, tokenize\n"
        "text = ('\\u212a\\u017f\\u2126' * 100_000 + ' ') * 3\n"
        "for nfkc in (True, False):\n"
        "    fp = Fingerprinter(Config(nfkc=nfkc, casefold=False))\n"
        "    got = fp.token_streams([text, 'tail']).text(0)\n"
        "    assert got == tokenize(text, nfkc=nfkc, casefold=False).stream\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


# --- Shingles ------------------------------------------------------------------------------


def reference_shingles(text: str, shingle: str, n: int) -> list[int]:
    """The shingle rule in plain Python: XXH64 of n joined tokens (or n characters of the token
    stream), sorted and unique; a non-empty text with n units or fewer is one shingle."""
    tokens = tokenize(text).words
    stream = " ".join(tokens)
    units: list[str] = tokens if shingle == "word" else list(stream)
    joiner = " " if shingle == "word" else ""
    if not units:
        return []
    if len(units) <= n:
        return [xxhash.xxh64_intdigest(stream.encode())]
    grams = {joiner.join(units[i : i + n]) for i in range(len(units) - n + 1)}
    return sorted({xxhash.xxh64_intdigest(g.encode()) for g in grams})


@pytest.mark.parametrize("shingle", ["word", "char"])
@settings(max_examples=150, deadline=None)
@given(text=texts(), n=st.integers(1, 7))
def test_shingle_sets_match_the_plain_python_rule(shingle, text, n):
    """Shingle sets equal sorted, unique XXH64 hashes of word or character n-grams."""
    fp = Fingerprinter(Config(shingle=shingle, ngram=n))
    assert fp.fingerprint_one(text).shingles.tolist() == reference_shingles(text, shingle, n)


@pytest.mark.parametrize(
    ("text", "n", "count"),
    [
        ("", 5, 0),
        ("one", 5, 1),
        ("a b c d e", 5, 1),
        ("a b c d e f", 5, 2),
        ("a a a a a a a", 2, 1),
    ],
)
def test_short_text_rule(text, n, count):
    """An empty text has no shingle, a text of at most n tokens exactly one, repeats count once."""
    fp = Fingerprinter(Config(ngram=n))
    assert fp.fingerprint_one(text).shingles.shape == (count,)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [7],
        [3, 3, 3, 3],
        list(range(1000, 0, -1)),
        [MASK64, 0, MASK64, 1 << 63, (1 << 63) - 1, 0],
        [5] * 500 + [4] * 500,  # one bucket, many equal values in reverse order
    ],
)
def test_sort_unique_on_awkward_inputs(values):
    """The bucket sort sorts and de-duplicates any uint64 array, not just uniform hashes."""
    x = np.array(values, dtype=np.uint64)
    count = k._sort_unique(x)
    assert x[:count].tolist() == sorted(set(values))


def test_sort_unique_on_random_hashes():
    """On random 64-bit values (with repeats) the bucket sort equals ``np.unique``."""
    rng = np.random.default_rng(3)
    for size in [2, 3, 17, 256, 10_000]:
        x = rng.integers(0, MASK64, size, dtype=np.uint64, endpoint=True)
        x = np.concatenate([x, x[: size // 3]])
        expected = np.unique(x)
        count = k._sort_unique(x)
        assert np.array_equal(x[:count], expected)


def test_content_hash_is_xxh64_of_the_token_stream():
    """The content hash is XXH64 of the UTF-8 token stream, so it ignores case and punctuation."""
    fp = Fingerprinter(Config())
    batch = fp.fingerprint(["Hello,  World!", "hello world", ""])
    expected = xxhash.xxh64_intdigest(b"hello world")
    assert batch.content_hashes.tolist() == [expected, expected, xxhash.xxh64_intdigest(b"")]


# --- MinHash and bands ---------------------------------------------------------------------


def test_signatures_of_an_empty_set_are_all_max():
    """A document without shingles has the all-0xFFFFFFFF signature, like an empty datasketch
    MinHash."""
    a = np.array([3, 5], dtype=np.uint32)
    b = np.array([7, 11], dtype=np.uint32)
    sigs = mk.signatures(np.empty(0, dtype=np.uint64), np.array([0, 0], dtype=np.int64), a, b)
    assert sigs.tolist() == [[0xFFFFFFFF, 0xFFFFFFFF]]


def test_signatures_match_a_numpy_reference():
    """Each value is the minimum over shingles of ``a * fmix32(low32(h)) + b mod 2**32``."""
    rng = np.random.default_rng(4)
    hashes = rng.integers(0, MASK64, 300, dtype=np.uint64, endpoint=True)
    offsets = np.array([0, 1, 100, 100, 300], dtype=np.int64)
    a = rng.integers(0, 1 << 31, 64, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = rng.integers(0, 1 << 32, 64, dtype=np.uint32)

    def fmix32(h: np.ndarray) -> np.ndarray:
        h = h ^ (h >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))

    got = mk.signatures(hashes, offsets, a, b)
    for d in range(4):
        part = hashes[offsets[d] : offsets[d + 1]]
        if part.size == 0:
            assert (got[d] == 0xFFFFFFFF).all()
            continue
        h = fmix32((part & np.uint64(0xFFFFFFFF)).astype(np.uint32))[:, None]
        assert np.array_equal(got[d], (h * a + b).min(axis=0))


def test_band_keys_are_seeded_xxh64_of_little_endian_rows():
    """Band key j is XXH64, seeded with j, of band j's values as little-endian uint32 bytes."""
    sigs = np.random.default_rng(5).integers(0, 1 << 32, (3, 12), dtype=np.uint32)
    keys = mk.band_keys(sigs, 4, 3)
    assert keys.shape == (3, 4)
    for d in range(3):
        for band in range(4):
            raw = sigs[d, band * 3 : band * 3 + 3].astype("<u4").tobytes()
            assert int(keys[d, band]) == xxhash.xxh64_intdigest(raw, seed=band)


# --- Intersections -------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.sets(st.integers(0, 60)),
    st.sets(st.integers(0, 60)),
)
def test_intersection_size_matches_python_sets(x, y):
    """The merge walk counts exactly the common elements of two sorted unique arrays."""
    a = np.array(sorted(x), dtype=np.uint64)
    b = np.array(sorted(y), dtype=np.uint64)
    assert sk.intersection_size(a, b) == len(x & y)


def test_pair_intersections_over_a_flat_store():
    """Bulk intersections over one flat array equal pairwise intersections of the slices."""
    sets = [[1, 2, 3, 4], [3, 4, 5], [], [2, MASK64]]
    flat = np.array([v for s in sets for v in s], dtype=np.uint64)
    offsets = np.cumsum([0] + [len(s) for s in sets]).astype(np.int64)
    left = np.array([0, 0, 1, 2, 3, 3], dtype=np.int64)
    right = np.array([1, 3, 2, 2, 0, 3], dtype=np.int64)
    got = sk.pair_intersections(flat, offsets, left, right)
    assert got.tolist() == [
        len(set(sets[i]) & set(sets[j])) for i, j in zip(left, right, strict=True)
    ]


def test_pair_intersections_across_two_arrays():
    """Left sets are read from the first array and right sets from the second, by position."""
    x = np.array([1, 2, 3, 9, 10], dtype=np.uint64)  # document 0 at 0:3, document 1 at 3:5
    y = np.array([2, 3, 4, 10, 11, 12], dtype=np.uint64)  # document 2 at 0:3, 3 at 3:6
    starts = np.array([0, 3, 0, 3], dtype=np.int64)
    ends = np.array([3, 5, 3, 6], dtype=np.int64)
    left = np.array([0, 1, 0], dtype=np.int64)
    right = np.array([2, 3, 3], dtype=np.int64)
    zero = np.zeros(3, dtype=np.int64)
    got = sk.pair_intersections_at_least(x, y, starts, ends, left, right, zero)
    assert got.tolist() == [2, 1, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.integers(0, 40)),
    st.sets(st.integers(0, 40)),
    st.integers(0, 45),
)
def test_cut_off_walk_is_exact_from_need_up_and_below_need_otherwise(x, y, need):
    """With a floor, the count is exact when the intersection reaches it, and below it if not."""
    sets = [sorted(x), sorted(y)]
    flat = np.array(sets[0] + sets[1], dtype=np.uint64)
    offsets = np.array([0, len(sets[0]), len(flat)], dtype=np.int64)
    first, second = np.array([0], dtype=np.int64), np.array([1], dtype=np.int64)
    floor = np.array([need], dtype=np.int64)
    starts, ends = offsets[:-1], offsets[1:]
    got = int(sk.pair_intersections_at_least(flat, flat, starts, ends, first, second, floor)[0])
    exact = len(x & y)
    if exact >= need:
        assert got == exact
    else:
        assert got < need
