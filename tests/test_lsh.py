"""Specification of dedup.lsh: banding parameters, the S-curve, band keys and datasketch parity."""

from __future__ import annotations

import json
import random
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHashLSH
from datasketch.lsh import _false_negative_probability, _false_positive_probability
from datasketch.lsh import _optimal_param as datasketch_optimal_param

from dedup import Banding, Config, ConfigError, Fingerprinter, optimal_params, s_curve

CORPUS = Path(__file__).resolve().parent.parent / "data" / "web-articles.jsonl"


def weighted_error(threshold: float, bands: int, rows: int) -> float:
    """datasketch's objective, integrated by datasketch (adaptive quadrature)."""
    fp = _false_positive_probability(threshold, bands, rows)
    fn = _false_negative_probability(threshold, bands, rows)
    return 0.5 * fp + 0.5 * fn


# --- optimal_params ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "num_perm"),
    [(t, 128) for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)]
    + [(0.3, 64), (0.5, 64), (0.85, 64), (0.4, 256), (0.8, 256)],
)
def test_optimal_params_are_never_worse_than_datasketchs(threshold, num_perm):
    """Our (bands, rows) has at most datasketch's weighted error, up to integration error."""
    ours = optimal_params(threshold, num_perm)
    theirs = datasketch_optimal_param(threshold, num_perm, 0.5, 0.5)
    assert ours[0] * ours[1] <= num_perm
    assert weighted_error(threshold, *ours) <= weighted_error(threshold, *theirs) + 1e-6


def test_default_banding_is_32_bands_of_4_rows():
    """128 permutations tuned for J = 0.4 give 32 bands of 4 rows."""
    assert optimal_params(0.4, 128) == (32, 4)
    assert (Config().bands, Config().rows) == (32, 4)


@pytest.mark.parametrize(
    ("threshold", "num_perm", "message"),
    [
        (0.0, 128, "between 0 and 1"),
        (1.0, 128, "between 0 and 1"),
        (-0.5, 128, "between 0 and 1"),
        (0.5, 1, "at least 2"),
    ],
)
def test_optimal_params_rejects_impossible_settings(threshold, num_perm, message):
    """A threshold outside (0, 1) or fewer than two permutations is a ConfigError."""
    with pytest.raises(ConfigError, match=message):
        optimal_params(threshold, num_perm)


# --- The S-curve ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("similarity", "probability"), [(0.8, 1.000), (0.6, 0.988), (0.5, 0.873), (0.3, 0.229)]
)
def test_s_curve_values_of_the_default_banding(similarity, probability):
    """32 bands x 4 rows make a pair a candidate with the probabilities the Config documents."""
    assert float(s_curve(similarity, 32, 4)) == pytest.approx(probability, abs=5e-4)


def test_s_curve_shape():
    """The S-curve is 0 at J = 0, 1 at J = 1, increasing, and works element-wise on arrays."""
    xs = np.linspace(0.0, 1.0, 101)
    ys = s_curve(xs, 20, 5)
    assert ys.shape == xs.shape
    assert ys[0] == 0.0
    assert ys[-1] == 1.0
    assert np.all(np.diff(ys) >= 0)
    assert float(s_curve(0.5, 1, 1)) == 0.5  # one band of one row: the MinHash collision rate


def test_banding_probability_is_the_s_curve():
    """``Banding.probability`` is the S-curve of its own parameters."""
    xs = np.array([0.1, 0.5, 0.9])
    assert np.array_equal(Banding(16, 8).probability(xs), s_curve(xs, 16, 8))


# --- Band keys -----------------------------------------------------------------------------


def test_band_keys_collide_exactly_on_equal_bands():
    """Changing one signature value changes only the key of the band that holds it."""
    rng = np.random.default_rng(8)
    sig = rng.integers(0, 1 << 32, 128, dtype=np.uint32)
    other = sig.copy()
    other[37] ^= 1  # band 9 of 4 rows
    keys = Banding(32, 4).keys(np.stack([sig, sig, other]))
    assert keys.shape == (3, 32)
    assert keys.dtype == np.uint64
    assert np.array_equal(keys[0], keys[1])
    assert [band for band in range(32) if keys[0, band] != keys[2, band]] == [9]


def test_band_keys_differ_between_bands_with_equal_values():
    """Keys are seeded by band index, so equal values in two different bands do not collide."""
    sigs = np.zeros((1, 8), dtype=np.uint32)
    keys = Banding(4, 2).keys(sigs)
    assert len(set(keys[0].tolist())) == 4


def test_banding_uses_the_leading_columns_of_wider_signatures():
    """Signatures wider than bands x rows are banded on their first bands x rows values."""
    sigs = np.random.default_rng(9).integers(0, 1 << 32, (5, 130), dtype=np.uint32)
    banding = Banding(21, 6)
    assert np.array_equal(banding.keys(sigs), banding.keys(sigs[:, :126]))


@pytest.mark.parametrize("shape", [(4, 127), (128,), (0, 100)])
def test_banding_rejects_too_narrow_signatures(shape):
    """A signature matrix narrower than bands x rows (or not 2-D) is a ValueError."""
    with pytest.raises(ValueError, match="cannot hold 32 bands x 4 rows"):
        Banding(32, 4).keys(np.zeros(shape, dtype=np.uint32))


# --- Parity with datasketch's LSH index ----------------------------------------------------


def planted_corpus(n_base: int = 240, n_copies: int = 80, seed: int = 11) -> list[str]:
    """Articles stitched from shuffled real paragraphs, plus lightly edited copies of some."""
    rng = random.Random(seed)
    with CORPUS.open(encoding="utf-8") as f:
        paragraphs = [
            p for line in f for p in json.loads(line)["text"].split("\n\n") if len(p) > 80
        ]
    docs = [" ".join(rng.sample(paragraphs, rng.randint(3, 8))) for _ in range(n_base)]
    for i in rng.sample(range(n_base), n_copies):
        words = docs[i].split()
        for _ in range(rng.randint(0, len(words) // 80)):
            words[rng.randrange(len(words))] = rng.choice(["edited", "changed", "new"])
        cut = rng.randint(0, len(words) // 10)
        docs.append(" ".join(words[cut:]))
    return docs


@pytest.mark.parametrize(("bands", "rows"), [(32, 4), (20, 5), (9, 13)])
def test_datasketch_lsh_finds_the_same_candidates_as_our_banding(bands, rows):
    """A datasketch MinHashLSH fed our ``to_datasketch()`` signatures proposes exactly the pairs
    that share a band key."""
    docs = planted_corpus()
    batch = Fingerprinter(Config(bands=bands, rows=rows)).fingerprint(docs)
    keys = Banding(bands, rows).keys(batch.signatures)
    ours = {(i, j) for i, j in combinations(range(len(docs)), 2) if np.any(keys[i] == keys[j])}
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    for i, fingerprint in enumerate(batch):
        lsh.insert(i, fingerprint.to_datasketch())
    theirs = {
        (min(i, j), max(i, j))
        for i, fingerprint in enumerate(batch)
        for j in lsh.query(fingerprint.to_datasketch())
        if j != i
    }
    assert len(ours) >= 40  # most planted copies at least
    assert ours == theirs
