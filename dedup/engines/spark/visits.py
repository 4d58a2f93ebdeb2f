"""The order :func:`dedup.cluster.star_clusters` visits documents in, computed in rounds.

The local kernel visits documents in rank order, except that an excerpt waits until every
document containing it (its *containers*) has been visited (:mod:`dedup.cluster`). Its scan
and its heap of late excerpts together visit, whenever several documents are ready (all their
containers visited), the best-ranked of them: the visit order is the smallest topological
order of the containment DAG by rank. Once that order is known the excerpt rule has nothing
left to do: a container is always visited before its excerpt, so by the time an excerpt
founds a star its containers are clustered, and the rule's exception (a founder never takes
a document it is contained in) never applies. The stars are then the plain stars of
:mod:`.cluster`'s maximal-independent-set rounds, with vertices named by visit order instead
of rank.

The visit order sorts documents by a key. Name documents by their ranks (0 best). For a path
of containments ending at ``x``, take its *suffix maxima* (each rank on it larger than every
rank after it: a decreasing sequence ending at ``x``); ``key(x)`` is the lexicographically
greatest of these over all such paths, and documents are visited in increasing key order, a
key before the keys it is a prefix of. Why: the worst-ranked document ``g`` among ``x`` and
its ancestors (the key's first entry) cannot be visited before its own scan turn, nor ``x``
before ``g``; at ``g``'s turn every document whose ancestors are all ranked before ``g`` has
been visited (induction on ``g``), so ``g`` is the best-ranked ready document, is visited,
and then every descendant of ``g`` whose ancestors rank no worse than ``g`` is visited, each
ranked before ``g``, so before any document ranked after ``g`` that became ready. Among those
descendants the same argument recurs below ``g`` (the key's second entry is the worst-ranked
ancestor of ``x`` that descends from ``g``, and so on).

``key`` propagates along containments: ``key(x)`` is the largest of ``push(key(c), x)`` over
the containers ``c`` of ``x`` (``push`` drops the entries smaller than ``x`` and appends
``x``; it preserves the order of keys, so the largest key pushed is the largest path's),
and ``[x]`` without containers. Each round relaxes every containment from the keys of the
last; the keys are final after as many rounds as the longest chain of containments, and one
more round confirms it. Only the excerpts visited out of rank order (a key longer than
``[x]``) are kept. Visit order becomes integer names: ``x * stride`` for a document in its
place, ``key[0] * stride + j`` for the ``j``-th (1, 2, ...) excerpt, in key order, visited
right after the document ranked ``key[0]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_KEYS = "e bigint, key array<bigint>"
_LARGEST = 2**63 - 1


def freeze(frame: DataFrame) -> DataFrame:
    """Materialise and cut lineage: reliable when a checkpoint directory is set."""
    if frame.sparkSession.sparkContext.getCheckpointDir() is not None:
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)


def _push(key: Column, x: Column) -> Column:
    """The entries of ``key`` larger than ``x``, then ``x``."""
    from pyspark.sql import functions as F

    return F.concat(F.filter(key, lambda entry: entry > x), F.array(x))


def visit_keys(containments: DataFrame) -> tuple[DataFrame, int]:
    """``e, key`` of every excerpt visited out of rank order, from containments ``c, e``
    (ranks: ``c`` contains ``e``), and the rounds that ran (0 without containments)."""
    from pyspark.sql import functions as F

    spark = containments.sparkSession
    edges = freeze(containments.select("c", "e").distinct())
    keys = spark.createDataFrame([], _KEYS)
    if edges.isEmpty():
        return keys, 0
    rounds = 0
    while True:
        rounds += 1
        parents = keys.select(F.col("e").alias("c"), F.col("key").alias("known"))
        pushed = edges.join(parents, "c", "left").select(
            "e",
            _push(F.coalesce("known", F.array("c")), F.col("e")).alias("key"),
            F.lit(None).cast("array<bigint>").alias("old"),
        )
        # A pushed key longer than [e] is larger than [e]: only those can move e. Keys only
        # grow, so the largest pushed key is the new one and the old rides along to compare.
        both = pushed.where(F.size("key") > 1).unionByName(keys.withColumn("old", F.col("key")))
        grown = freeze(both.groupBy("e").agg(F.max("key").alias("key"), F.max("old").alias("old")))
        keys = grown.select("e", "key")
        if grown.where(~F.col("key").eqNullSafe(F.col("old"))).isEmpty():
            return keys, rounds


def visit_names(keys: DataFrame) -> tuple[DataFrame, int]:
    """``r, name`` of the excerpts :func:`visit_keys` moved, and the stride of the others'
    names (``r * stride``). Names sort in visit order (see :func:`names_fit`)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if keys.isEmpty():
        return keys.select(F.col("e").alias("r"), F.col("e").alias("name")), 1
    after = Window.partitionBy(F.col("key")[0]).orderBy("key")
    numbered = freeze(
        keys.select("e", F.col("key")[0].alias("g"), F.row_number().over(after).alias("j"))
    )
    most = numbered.agg(F.max("j")).first()
    stride = 1 + int(most[0] if most is not None and most[0] is not None else 0)
    names = numbered.select(F.col("e").alias("r"), (F.col("g") * stride + F.col("j")).alias("name"))
    return names, stride


def names_fit(worst: int, stride: int) -> None:
    """Raise ValueError if the names of ranks up to ``worst`` overflow a bigint."""
    if (worst + 1) * stride - 1 > _LARGEST:
        raise ValueError(
            f"visit order names overflow 64 bits ({worst + 1} ranks, {stride - 1} excerpts "
            "visited after one document)"
        )
