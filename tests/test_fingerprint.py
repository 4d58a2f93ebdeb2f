"""Specification of dedup.fingerprint: text -> shingles -> datasketch-compatible MinHash."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from _fingerprint_support import ROOT, articles, datasketch_minhash
from datasketch import LeanMinHash, MinHash
from hypothesis import given, settings
from hypothesis import strategies as st
from unicode_samples import tricky_text

from dedup import Config, Fingerprinter, Similarity
from dedup.fingerprint import permutations

# --- Compatibility with datasketch ---------------------------------------------------------


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (256, 42), (2, 0), (64, 2**32 - 1)])
def test_permutations_are_datasketchs(num_perm, seed):
    """``permutations()`` draws the same ``(a, b)`` as datasketch's affine32 MinHash."""
    a, b = permutations(num_perm, seed)
    expected = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, expected[0])
    assert np.array_equal(b, expected[1])


@pytest.mark.parametrize(
    "config",
    [Config(), Config(shingle="char", ngram=7, num_perm=64, seed=9), Config(ngram=1, seed=3)],
    ids=["word5", "char7", "word1"],
)
def test_signatures_equal_datasketch_on_articles(config):
    """On real articles, signatures equal datasketch's MinHash fed the same shingles."""
    fp = Fingerprinter(config)
    texts = articles(15)
    batch = fp.fingerprint(texts)
    for text, fingerprint in zip(texts, batch, strict=True):
        assert np.array_equal(fingerprint.signature, datasketch_minhash(text, config).hashvalues)


@settings(max_examples=100, deadline=None)
@given(st.lists(tricky_text, max_size=4), st.sampled_from(["word", "char"]), st.integers(1, 6))
def test_signatures_equal_datasketch_on_arbitrary_text(texts, shingle, n):
    """For arbitrary Unicode text, signatures equal datasketch's MinHash fed the same shingles."""
    config = Config(shingle=shingle, ngram=n, num_perm=32)
    batch = Fingerprinter(config).fingerprint(texts)
    for text, fingerprint in zip(texts, batch, strict=True):
        assert np.array_equal(fingerprint.signature, datasketch_minhash(text, config).hashvalues)


def test_to_datasketch_round_trip():
    """``to_datasketch()`` is a LeanMinHash equal to datasketch's own, with the same estimates."""
    config = Config()
    texts = articles(3)
    batch = Fingerprinter(config).fingerprint(texts)
    ours = [f.to_datasketch() for f in batch]
    theirs = [LeanMinHash(datasketch_minhash(t, config)) for t in texts]
    for o, t in zip(ours, theirs, strict=True):
        assert isinstance(o, LeanMinHash)
        assert o.scheme == "affine32"
        assert o == t
    assert ours[0].jaccard(ours[1]) == theirs[0].jaccard(theirs[1])
    restored = LeanMinHash.deserialize(_serialize(ours[2]))
    assert np.array_equal(restored.hashvalues, batch[2].signature)


def _serialize(m: LeanMinHash) -> bytearray:
    buf = bytearray(m.bytesize())
    m.serialize(buf)
    return buf


# --- Accuracy of the estimate --------------------------------------------------------------


def _expected_abs_error(j: float, m: int) -> tuple[float, float]:
    """Mean and standard deviation of |X - j| for X = Binomial(m, j) / m."""
    pmf = [math.comb(m, k) * j**k * (1 - j) ** (m - k) for k in range(m + 1)]
    mean = sum(p * abs(k / m - j) for k, p in enumerate(pmf))
    second = j * (1 - j) / m
    return mean, math.sqrt(max(second - mean**2, 0.0))


def test_jaccard_estimate_is_unbiased_within_the_binomial_bound():
    """Over many seeded random pairs at known Jaccard similarities, the signature estimate is
    unbiased and its mean absolute error is what num_perm Bernoulli trials allow.

    The estimate is the fraction of num_perm positions where two signatures agree, a mean of
    num_perm Bernoulli(J) trials: its standard deviation is sqrt(J(1 - J) / num_perm). Over P pairs
    the mean error must lie within 4 standard errors sqrt(J(1 - J) / num_perm / P) of zero, and the
    mean absolute error within 4 standard errors of E|X - J|, computed from the binomial law.
    """
    config = Config(ngram=1)  # every distinct word is one shingle: the overlap is exact
    m = config.num_perm
    fp = Fingerprinter(config)
    rng = np.random.default_rng(2024)
    pairs, union = 150, 240
    for target in [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]:
        common = round(target * union)
        only_a = (union - common) // 2
        texts = []
        for _ in range(pairs):
            words = [f"w{v:x}" for v in rng.integers(0, 2**62, union)]
            texts.append(" ".join(words[: common + only_a]))
            texts.append(" ".join(words[:common] + words[common + only_a :]))
        batch = fp.fingerprint(texts)
        sigs = batch.signatures
        estimates = (sigs[0::2] == sigs[1::2]).mean(axis=1)
        exact = np.array(
            [
                Similarity.of(batch[i].shingles, batch[i + 1].shingles).jaccard
                for i in range(0, len(batch), 2)
            ]
        )
        j = common / union
        assert np.allclose(exact, j)  # no hash collisions blurred the planted overlap
        errors = estimates - exact
        std = math.sqrt(j * (1 - j) / m)
        assert abs(errors.mean()) < 4 * std / math.sqrt(pairs), (target, errors.mean())
        mae, mae_std = _expected_abs_error(j, m)
        assert abs(np.abs(errors).mean() - mae) < 4 * mae_std / math.sqrt(pairs), target


def test_identical_and_disjoint_texts_estimate_exactly():
    """Identical texts agree on every position; texts without a common shingle almost never do."""
    fp = Fingerprinter(Config())
    a, b, c = fp.fingerprint(articles(3)[:2] + articles(1))
    assert np.array_equal(a.signature, c.signature)
    assert (a.signature == b.signature).mean() < 0.05


# --- Determinism ---------------------------------------------------------------------------

DETERMINISM_TEXTS = [
    "",
    "The cat sat on the mat.",
    "Café Zürich Ångström ﬁne ＦＵＬＬ Straße",  # noqa: RUF001 - full-width letters on purpose
    "東京都 สวัสดี مرحبا שלום 🎉",
    "e\u0301 \u1100\u1161\u11a8 \u00a8e\u0301",
]

_DIGEST_SCRIPT = """
import hashlib, json, sys
from dedup import Config, Fingerprinter
texts = json.loads(sys.stdin.read())
out = {}
for name, cfg in [("word", Config()), ("char", Config(shingle="char", ngram=4, seed=7))]:
    b = Fingerprinter(cfg).fingerprint(texts)
    for field in ("signatures", "shingles", "offsets", "content_hashes"):
        out[name + "." + field] = getattr(b, field).tobytes().hex()
print(json.dumps(out))
"""


def _digests(texts: list[str]) -> dict[str, str]:
    out = {}
    for name, cfg in [("word", Config()), ("char", Config(shingle="char", ngram=4, seed=7))]:
        b = Fingerprinter(cfg).fingerprint(texts)
        for field in ("signatures", "shingles", "offsets", "content_hashes"):
            out[f"{name}.{field}"] = getattr(b, field).tobytes().hex()
    return out


def test_fingerprints_are_identical_across_processes_and_hash_seeds():
    """Child processes with different PYTHONHASHSEEDs produce byte-identical fingerprints."""
    texts = [*DETERMINISM_TEXTS, *articles(5)]
    expected = _digests(texts)
    for hash_seed in ("12345",):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=hash_seed)
        result = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        assert json.loads(result.stdout) == expected


def test_stored_format_is_pinned():
    """Fingerprints of fixed texts are pinned: changing them needs a FINGERPRINT_VERSION bump."""
    batch = Fingerprinter(Config()).fingerprint(DETERMINISM_TEXTS)
    digest = hashlib.sha256(
        batch.signatures.tobytes() + batch.shingles.tobytes() + batch.content_hashes.tobytes()
    ).hexdigest()
    assert digest == "69214e3c3bed12a7255ec5c862c87b605f822a63af552947a00a748c6f51a819"
