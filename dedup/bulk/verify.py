"""The verify stage of the bulk job: exact measures for every candidate pair."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from dedup import (
    _numba_start,  # noqa: F401  (before any kernel runs: no BLAS probe)
    _set_kernels,
)
from dedup.bulk.spool import MappedSets, ShingleSpool
from dedup.verify import classify, relation_floor

_ITEM = 8  # bytes per shingle hash


@dataclass(frozen=True, slots=True)
class VerifiedPairs:
    """Pairs that reached a relation, as parallel arrays sorted by ``(left, right)``."""

    left: np.ndarray  # int64 input positions, left < right
    right: np.ndarray
    jaccard: np.ndarray  # float64
    a_in_b: np.ndarray  # containment of left in right
    b_in_a: np.ndarray  # containment of right in left
    relation: np.ndarray  # int8 codes into dedup.verify.RELATIONS

    def __len__(self) -> int:
        return int(self.left.shape[0])

    def select(self, which: np.ndarray) -> VerifiedPairs:
        """The pairs picked by a boolean mask or an index array, in that order."""
        return VerifiedPairs(
            self.left[which],
            self.right[which],
            self.jaccard[which],
            self.a_in_b[which],
            self.b_in_a[which],
            self.relation[which],
        )

    @staticmethod
    def concat(parts: list[VerifiedPairs]) -> VerifiedPairs:
        """All pairs of ``parts``, sorted by ``(left, right)``."""
        fields = [np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS]
        merged = VerifiedPairs(*fields)
        return merged.select(np.lexsort((merged.right, merged.left)))


_FIELDS = ("left", "right", "jaccard", "a_in_b", "b_in_a", "relation")


@njit(cache=True, nogil=True)
def _chunk_starts(
    left: np.ndarray, right: np.ndarray, sizes: np.ndarray, budget: int, max_pairs: int
) -> np.ndarray:
    """Where each chunk of consecutive pairs starts, so that the sets of a chunk's distinct
    documents hold at most ``budget`` hashes (a pair is never split) and no chunk has more
    than ``max_pairs`` pairs. Ends with the number of pairs."""
    seen = np.full(sizes.shape[0], -1, dtype=np.int64)  # chunk that last loaded a document
    starts = np.empty(left.shape[0] + 1, dtype=np.int64)
    starts[0] = 0
    n_chunks = 1
    used = 0
    count = 0
    for p in range(left.shape[0]):
        a = left[p]
        b = right[p]
        chunk = n_chunks - 1
        extra = (sizes[a] if seen[a] != chunk else 0) + (sizes[b] if seen[b] != chunk else 0)
        if count > 0 and (used + extra > budget or count >= max_pairs):
            starts[n_chunks] = p
            n_chunks += 1
            chunk += 1
            used = 0
            count = 0
            extra = sizes[a] + sizes[b]
        seen[a] = chunk
        seen[b] = chunk
        used += extra
        count += 1
    starts[n_chunks] = left.shape[0]
    return starts[: n_chunks + 1].copy()


class PairVerifier:
    """Candidate pairs in, verified pairs out, holding at most ``memory`` bytes of sets.

    When the whole spool fits in ``memory`` (a corpus of up to about 100,000 news articles at
    the default 512 MiB), its files are mapped once and the sets are walked where they lie:
    nothing is copied. A larger spool is read a chunk at a time instead, since walking it
    mapped would make nearly all of it resident (see :mod:`dedup.bulk.spool`).

    Either way pairs are processed in input order, a chunk at a time: as many consecutive
    pairs as fit ``memory / jobs`` bytes of their documents' sets (at most ``chunk`` pairs),
    read from the spool once per chunk. With ``jobs > 1`` chunks run on a thread pool (at
    least one chunk per thread): the reads and the intersection kernels release the GIL. A
    pair's figures depend only on its two sets, so they do not depend on ``jobs``, the
    chunking or the way the sets are reached.
    """

    def __init__(
        self, threshold: float, chunk: int = 2_000_000, jobs: int = 1, memory: int = 512 << 20
    ) -> None:
        if chunk < 1 or jobs < 1 or memory < 1:
            raise ValueError("chunk, jobs and memory must be at least 1")
        self.threshold = threshold
        self.chunk = chunk
        self.jobs = jobs
        self.memory = memory

    def verify(
        self,
        left: np.ndarray,
        right: np.ndarray,
        spool: ShingleSpool,
        content_hashes: np.ndarray,
    ) -> VerifiedPairs:
        """Exact Jaccard and containment of every pair; keeps the pairs that reach a relation.

        The intersection walk of a pair stops once it can no longer reach a relation
        (:func:`dedup.verify.relation_floor`): such a pair is dropped here, so its inexact
        count is never seen.
        """
        sizes = spool.sizes
        identical = content_hashes[left] == content_hashes[right]
        need = relation_floor(sizes[left], sizes[right], identical, self.threshold)
        inter = self._intersections(left, right, spool, need)
        return score_pairs(left, right, inter, sizes[left], sizes[right], identical, self.threshold)

    def measure(
        self,
        left: np.ndarray,
        right: np.ndarray,
        spool: ShingleSpool,
        content_hashes: np.ndarray,
    ) -> VerifiedPairs:
        """Exact measures and relation codes (0: none) of every pair, none dropped."""
        sizes = spool.sizes
        inter = self._intersections(left, right, spool, None)
        identical = content_hashes[left] == content_hashes[right]
        return score_pairs(
            left,
            right,
            inter,
            sizes[left],
            sizes[right],
            identical,
            self.threshold,
            related_only=False,
        )

    def _intersections(
        self,
        left: np.ndarray,
        right: np.ndarray,
        spool: ShingleSpool,
        need: np.ndarray | None,
    ) -> np.ndarray:
        """Intersection sizes, exact (``need=None``) or exact only from ``need`` up."""
        total = left.shape[0]
        inter = np.empty(total, dtype=np.int64)
        most = max(1, min(self.chunk, -(-total // self.jobs)))  # a chunk for every thread
        budget = max(1, self.memory // self.jobs // _ITEM)
        bounds = _chunk_starts(left, right, spool.sizes, budget, most).tolist()
        floor = np.zeros(total, dtype=np.int64) if need is None else need
        mapped = spool.mapped() if spool.nbytes <= self.memory else None

        def run(k: int) -> None:
            lo, hi = bounds[k], bounds[k + 1]
            if mapped is not None:
                inter[lo:hi] = _count(mapped, left[lo:hi], right[lo:hi], floor[lo:hi])
                return
            docs, local = np.unique(
                np.concatenate([left[lo:hi], right[lo:hi]]), return_inverse=True
            )
            flat, offsets = spool.load(docs)
            a = local[: hi - lo].astype(np.int64)
            b = local[hi - lo :].astype(np.int64)
            inter[lo:hi] = _set_kernels.pair_intersections_at_least(
                flat, flat, offsets[:-1], offsets[1:], a, b, floor[lo:hi]
            )

        chunks = range(len(bounds) - 1)
        if self.jobs == 1 or len(chunks) == 1:
            for k in chunks:
                run(k)
        else:
            with ThreadPoolExecutor(self.jobs, thread_name_prefix="dedup-verify") as pool:
                list(pool.map(run, chunks))  # re-raises a worker's exception here
        return inter


def _count(sets: MappedSets, left: np.ndarray, right: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Intersection sizes of pairs, exact from ``need`` up, one kernel call per file pair.

    One call when the spool is one file (a run on one core); the segments of process ingest
    (one per range of the input) make a few hundred file pairs at most.
    """
    arrays, starts, ends = sets.arrays, sets.starts, sets.ends
    if len(arrays) == 1:
        flat = arrays[0]
        return _set_kernels.pair_intersections_at_least(flat, flat, starts, ends, left, right, need)
    n_files = len(arrays)
    key = sets.files[left] * n_files + sets.files[right]
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    out = np.empty(left.shape[0], dtype=np.int64)
    for group in np.split(order, cuts):
        if group.size == 0:
            continue
        x, y = divmod(int(key[group[0]]), n_files)
        out[group] = _set_kernels.pair_intersections_at_least(
            arrays[x], arrays[y], starts, ends, left[group], right[group], need[group]
        )
    return out


def score_pairs(
    left: np.ndarray,
    right: np.ndarray,
    inter: np.ndarray,
    size_a: np.ndarray,
    size_b: np.ndarray,
    identical: np.ndarray,
    threshold: float,
    related_only: bool = True,
) -> VerifiedPairs:
    """Measures and relations of pairs from their intersection and set sizes.

    With ``related_only`` (the default) pairs without a relation are dropped.

    The one place these figures are computed, so that every engine writes bit-identical
    similarities for the same pair.
    """
    union = size_a + size_b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        a_in_b = np.where(size_a > 0, inter / np.maximum(size_a, 1), 0.0)
        b_in_a = np.where(size_b > 0, inter / np.maximum(size_b, 1), 0.0)
    codes = classify(jaccard, a_in_b, b_in_a, identical, threshold)
    pairs = VerifiedPairs(left, right, jaccard, a_in_b, b_in_a, codes)
    return pairs.select(codes > 0) if related_only else pairs
