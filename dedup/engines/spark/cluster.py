"""Star clusters on Spark: the local engine's chaining guard and canonical choice, in rounds.

:func:`dedup.cluster.star_clusters` visits documents in rank order; each unclustered one founds
a cluster and takes in its unclustered neighbours. Its founders are therefore the
lexicographically-first maximal independent set (MIS) of the verified-pair graph in rank order,
and every other document belongs to its best-ranked founder neighbour. That set can be built
in rounds, with vertices named by their rank:

1. among the undecided edges ``(u, v)``, ``u < v``, every ``u`` that is never a ``v`` has no
   undecided better-ranked neighbour: it is a founder;
2. every neighbour of a new founder is decided as a member;
3. edges touching a member are dropped; repeat until no undecided edge is left. A vertex
   that is never made a member is a founder (greedy would pick it: no founder neighbours it).

Each round is checkpointed (reliable checkpoints when a checkpoint directory is set on the
SparkContext, local ones otherwise), so lineage stays short however many rounds a long chain
of decreasingly ranked matches needs. When few undecided edges are left (``local_finish``),
they are collected and finished on the driver by :func:`dedup.cluster.star_clusters` itself,
on the remaining subgraph: the founders among undecided vertices depend only on the edges
between them, so the answer is the same, in fewer rounds. A graph that small from the start
is clustered on the driver outright (:func:`star_canonicals`), sparing a dozen Spark jobs.

Only the driver path applies the local engine's rule for excerpts (an excerpt waits for the
documents that contain it, :mod:`dedup.cluster`): the rounds treat every pair as a copy, so a
graph of more than ``local_finish`` pairs can put an excerpt published first at the centre of
its containers, as the local engine did before that rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dedup.cluster import star_clusters

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_EMPTY = "x bigint"


def _freeze(frame: DataFrame) -> DataFrame:
    """Materialise and cut lineage: reliable when a checkpoint directory is set."""
    if frame.sparkSession.sparkContext.getCheckpointDir() is not None:
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)


def members_of_stars(edges: DataFrame, local_finish: int = 100_000) -> tuple[DataFrame, int]:
    """Vertices ``x`` that are *not* founders, from undirected edges ``u < v`` (ranks).

    Returns the members and the number of distributed rounds that ran.
    """
    from pyspark.sql import functions as F

    spark = edges.sparkSession
    undecided = _freeze(edges.select("u", "v").distinct())
    decided = [spark.createDataFrame([], _EMPTY)]  # each round's members, already frozen
    rounds = 0
    while True:
        remaining = undecided.count()
        if remaining == 0:
            break
        if remaining <= local_finish:
            decided.append(_finish_locally(undecided))
            break
        rounds += 1
        later = undecided.select(F.col("v").alias("f")).distinct()
        founders = undecided.select(F.col("u").alias("f")).distinct().join(later, "f", "left_anti")
        taken = _freeze(
            undecided.join(founders, F.col("u") == F.col("f"), "left_semi")
            .select(F.col("v").alias("x"))
            .distinct()
        )
        decided.append(taken)
        undecided = _freeze(
            undecided.join(taken, F.col("u") == F.col("x"), "left_anti").join(
                taken.select(F.col("x").alias("y")), F.col("v") == F.col("y"), "left_anti"
            )
        )
    members = decided[0]
    for part in decided[1:]:
        members = members.union(part)
    return members, rounds


def _finish_locally(undecided: DataFrame) -> DataFrame:
    """The members among the remaining vertices, by the local engine's own function."""
    rows = undecided.collect()
    u = np.fromiter((r["u"] for r in rows), np.int64, len(rows))
    v = np.fromiter((r["v"] for r in rows), np.int64, len(rows))
    vertices, local = np.unique(np.concatenate([u, v]), return_inverse=True)
    # Vertices are ranks, so their sorted order is the canonical order.
    rank = np.arange(vertices.shape[0], dtype=np.int64)
    canon = star_clusters(rank, local[: len(rows)], local[len(rows) :])
    members = vertices[canon != rank]
    return undecided.sparkSession.createDataFrame([(int(x),) for x in members], _EMPTY)


def member_canonicals(edges: DataFrame, local_finish: int = 100_000) -> tuple[DataFrame, int]:
    """``x, canon``: every member (non-founder) vertex and the rank of its canonical.

    A member joins its best-ranked founder neighbour. Founders, and documents without
    verified pairs, are their own canonical and are not listed. Also returns the rounds run.
    """
    from pyspark.sql import functions as F

    members, rounds = members_of_stars(edges, local_finish)
    member = members.select(F.col("x").alias("m"))
    both = edges.select(F.col("u").alias("x"), F.col("v").alias("y")).union(
        edges.select(F.col("v").alias("x"), F.col("u").alias("y"))
    )
    canon = (
        both.join(member, F.col("x") == F.col("m"), "left_semi")
        .join(member.select(F.col("m").alias("n")), F.col("y") == F.col("n"), "left_anti")
        .groupBy("x")
        .agg(F.min("y").alias("canon"))
    )
    return canon, rounds


def star_canonicals(
    verified: DataFrame, ranks: DataFrame, pairs: int, local_finish: int = 100_000
) -> tuple[DataFrame, int]:
    """``pos, canon_pos`` of every document whose canonical is another document.

    ``verified`` has ``left, right`` (input positions), ``ranks`` has ``pos, rank``; ``pairs``
    is the number of verified pairs. Returns the frame (checkpointed) and the distributed
    rounds that ran (0 when the graph was clustered on the driver).
    """
    from pyspark.sql import functions as F

    by_rank = ranks.select(F.col("pos").alias("p"), F.col("rank").alias("r"))
    edges = (
        verified.select("left", "right", "relation")
        .join(by_rank.withColumnRenamed("p", "left").withColumnRenamed("r", "ru"), "left")
        .join(by_rank.withColumnRenamed("p", "right").withColumnRenamed("r", "rv"), "right")
    )
    spark = verified.sparkSession
    if pairs <= local_finish:
        return spark.createDataFrame(_stars_on_driver(edges), "pos bigint, canon_pos bigint"), 0
    undirected = edges.select(F.least("ru", "rv").alias("u"), F.greatest("ru", "rv").alias("v"))
    canon_ranks, rounds = member_canonicals(undirected, local_finish)
    canon = (
        canon_ranks.join(by_rank.withColumnRenamed("r", "x"), "x")
        .join(by_rank.select(F.col("r").alias("canon"), F.col("p").alias("canon_pos")), "canon")
        .select(F.col("p").alias("pos"), "canon_pos")
    )
    return _freeze(canon), rounds


def _stars_on_driver(edges: DataFrame) -> list[tuple[int, int]]:
    """Members and their canonicals by :func:`dedup.cluster.star_clusters` on the whole graph."""
    rows = edges.collect()
    m = len(rows)
    ends = np.fromiter((r[k] for k in ("left", "right") for r in rows), np.int64, 2 * m)
    ranks = np.fromiter((r[k] for k in ("ru", "rv") for r in rows), np.int64, 2 * m)
    vertices, first, local = np.unique(ends, return_index=True, return_inverse=True)
    relation = np.fromiter((r["relation"] for r in rows), np.int8, m)
    # Global ranks order the vertices; star_clusters only compares them.
    canon = star_clusters(ranks[first], local[:m], local[m:], relation)
    moved = np.flatnonzero(canon != np.arange(vertices.shape[0]))
    return list(zip(vertices[moved].tolist(), vertices[canon[moved]].tolist(), strict=True))
