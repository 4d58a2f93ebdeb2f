"""The verify stage on Spark: candidate pairs joined with both shingle sets, scored in batches.

Shingle sets travel as binary columns (little-endian uint64, sorted and unique as the
fingerprinter made them). Each partition of joined pairs is cut into chunks; a chunk's sets are
laid out in one flat array and :func:`dedup._set_kernels.pair_intersections` counts every
intersection, then :func:`dedup.bulk.verify.score_pairs` computes the measures and relations:
the same code, on the same integers, as the local engine, hence the same float bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup import _set_kernels
from dedup.bulk.verify import score_pairs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Verified pairs: input positions ``left < right``, measures, and a code of RELATIONS.
VERIFIED_SCHEMA = (
    "left bigint, right bigint, jaccard double, a_in_b double, b_in_a double, relation byte"
)


@dataclass(frozen=True)
class VerifyPartition:
    """Scores the joined candidate pairs of one partition (runs on executors)."""

    threshold: float
    chunk: int = 4096

    def __call__(self, rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows of :data:`VERIFIED_SCHEMA` for the pairs that reach a relation."""
        it = iter(rows)
        while chunk := list(islice(it, self.chunk)):
            yield from self._score(chunk)

    def _score(self, chunk: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        m = len(chunk)
        left = np.fromiter((r["left"] for r in chunk), np.int64, m)
        right = np.fromiter((r["right"] for r in chunk), np.int64, m)
        size_a = np.fromiter((r["size_a"] for r in chunk), np.int64, m)
        size_b = np.fromiter((r["size_b"] for r in chunk), np.int64, m)
        identical = np.fromiter((r["hash_a"] == r["hash_b"] for r in chunk), np.bool_, m)
        # Sets 2k and 2k + 1 are pair k's; sizes interleave the same way.
        sizes = np.empty(2 * m, dtype=np.int64)
        sizes[0::2] = size_a
        sizes[1::2] = size_b
        offsets = np.zeros(2 * m + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        blob = bytearray().join(part for r in chunk for part in (r["sh_a"], r["sh_b"]))
        flat = np.frombuffer(blob, dtype="<u8").astype(np.uint64, copy=False)
        index = np.arange(0, 2 * m, 2, dtype=np.int64)
        inter = _set_kernels.pair_intersections(flat, offsets, index, index + 1)
        scored = score_pairs(left, right, inter, size_a, size_b, identical, self.threshold)
        yield from zip(
            scored.left.tolist(),
            scored.right.tolist(),
            scored.jaccard.tolist(),
            scored.a_in_b.tolist(),
            scored.b_in_a.tolist(),
            scored.relation.tolist(),
            strict=True,
        )


def verify_pairs(pairs: DataFrame, fingerprints: DataFrame, threshold: float) -> DataFrame:
    """Verified pairs (checkpointed) from candidate ``left, right`` and ``pos, size,
    content_hash, shingles`` of every document."""
    from pyspark.sql import functions as F

    def side(name: str) -> DataFrame:
        return fingerprints.select(
            F.col("pos").alias("left" if name == "a" else "right"),
            F.col("size").alias(f"size_{name}"),
            F.col("content_hash").alias(f"hash_{name}"),
            F.col("shingles").alias(f"sh_{name}"),
        )

    joined = pairs.join(side("a"), "left").join(side("b"), "right")
    columns = ["left", "right", "size_a", "size_b", "hash_a", "hash_b", "sh_a", "sh_b"]
    scored = joined.select(*columns).rdd.mapPartitions(VerifyPartition(threshold))
    spark = pairs.sparkSession
    return spark.createDataFrame(scored, VERIFIED_SCHEMA).localCheckpoint(eager=True)
