"""Pairs proposed by shared sampled shingles: the whole-text pairs LSH misses (``--excerpts``),
and the candidates of the passages ``--passages`` looks for.

LSH is tuned to Jaccard similarity, so it misses most short excerpts of long articles: a
reprint cut to a third of its story contains it, at a Jaccard of 0.3. During ingest a 1-in-4
sample of each document's shingles is kept (:class:`~dedup.reuse.ReuseCandidates`: 16 bytes a
sampled shingle, about a quarter of all of them, held until the stage runs). After
verification, documents sharing at least two sampled shingles (each held by at most 50
documents) are proposed as pairs beyond the verified ones and measured exactly, as the LSH
candidates are (:meth:`SampledPairs.propose`): those that reach a whole-text relation join the
verified pairs, and the clusters. The others are what ``--passages`` aligns to find the pairs
that share passages (:mod:`dedup.bulk.reuse`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.bulk.spool import ShingleSpool
from dedup.bulk.verify import PairVerifier, VerifiedPairs
from dedup.reuse import ReuseCandidates


@dataclass(frozen=True)
class Proposed:
    """What the sampled shingles proposed beyond the verified pairs (``propose``)."""

    count: int  # pairs proposed and measured
    alike: VerifiedPairs  # those that reach a whole-text relation: they join the clusters
    rest: VerifiedPairs  # the others (relation 0), for the passages to judge


class SampledPairs:
    """Keeps each document's sampled shingles during ingest, then proposes and measures pairs."""

    def __init__(self, candidates: ReuseCandidates | None = None) -> None:
        self.candidates = candidates or ReuseCandidates()
        self._hashes: list[np.ndarray] = []
        self._docs: list[np.ndarray] = []
        self._seen = 0

    def observe(self, shingles: np.ndarray, offsets: np.ndarray) -> None:
        """Keep a batch's sampled shingles (batches in input order; ``offsets`` as in
        :class:`~dedup.fingerprint.FingerprintBatch`)."""
        hashes, positions = self.candidates.sample(shingles, offsets)
        self._hashes.append(hashes)
        self._docs.append(positions + self._seen)
        self._seen += offsets.shape[0] - 1

    def extra_pairs(self, verified: VerifiedPairs) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs from shared sampled shingles that are not verified pairs already."""
        if not self._hashes:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy()
        left, right, _ = self.candidates.pairs(
            np.concatenate(self._hashes), np.concatenate(self._docs)
        )
        n = np.int64(max(self._seen, 1))
        known = verified.left * n + verified.right
        fresh = ~np.isin(left * n + right, known)
        return left[fresh], right[fresh]

    def propose(
        self,
        verified: VerifiedPairs,
        verifier: PairVerifier,
        spool: ShingleSpool,
        content_hashes: np.ndarray,
    ) -> Proposed:
        """The pairs the sampled shingles propose beyond ``verified``, measured exactly."""
        left, right = self.extra_pairs(verified)
        measured = verifier.measure(left, right, spool, content_hashes)
        reached = measured.relation != 0
        return Proposed(len(left), measured.select(reached), measured.select(~reached))
