"""Star clusters on Spark: the local engine's chaining guard and canonical choice, in rounds.

:func:`dedup.cluster.star_clusters` visits documents in order; each unclustered one founds a
cluster and takes in its unclustered neighbours. Its founders are therefore the
lexicographically-first maximal independent set (MIS) of the verified-pair graph in visit
order, and every other document belongs to its first-visited founder neighbour. The visit
order is rank order with each excerpt moved after the documents that contain it; with it
known, the local engine's rule for excerpts needs nothing more (a container is clustered
before its excerpt founds), and :mod:`.visits` computes it in rounds of its own and names
vertices by it (rank order itself when no excerpt moves). The MIS can then be built in rounds:

1. among the undecided edges ``(u, v)``, ``u < v``, every ``u`` that is never a ``v`` has no
   undecided earlier neighbour: it is a founder;
2. every neighbour of a new founder is decided as a member;
3. edges touching a member are dropped; repeat until no undecided edge is left. A vertex
   that is never made a member is a founder (greedy would pick it: no founder neighbours it).

Each round is checkpointed (reliable checkpoints when a checkpoint directory is set on the
SparkContext, local ones otherwise), so lineage stays short however many rounds a long chain
of decreasingly ranked matches needs. When few undecided edges are left (``local_finish``),
they are collected and finished on the driver by :func:`dedup.cluster.star_clusters` itself,
on the remaining subgraph with vertices in visit order and no relations (no waiting is left to
do): the founders among undecided vertices depend only on the edges between them, so the
answer is the same, in fewer rounds. A graph that small from the start is clustered on the
driver outright with its relations (:func:`star_canonicals`), sparing a dozen Spark jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dedup.cluster import star_clusters
from dedup.engines.spark.visits import freeze, moved_excerpts, names_fit
from dedup.types import Relation
from dedup.verify import RELATIONS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_EMPTY = "x bigint"
_CONTAINS = RELATIONS.index(Relation.CONTAINS)  # left contains right
_CONTAINED_IN = RELATIONS.index(Relation.CONTAINED_IN)  # left is contained in right


def members_of_stars(edges: DataFrame, local_finish: int = 100_000) -> tuple[DataFrame, int]:
    """Vertices ``x`` that are *not* founders, from undirected edges ``u < v`` (named in
    visit order: ranks, or :mod:`.visits`' names).

    Returns the members and the number of distributed rounds that ran.
    """
    from pyspark.sql import functions as F

    spark = edges.sparkSession
    undecided = freeze(edges.select("u", "v").distinct())
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
        taken = freeze(
            undecided.join(founders, F.col("u") == F.col("f"), "left_semi")
            .select(F.col("v").alias("x"))
            .distinct()
        )
        decided.append(taken)
        undecided = freeze(
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
    # Vertices are named in visit order, so their sorted order is the order to visit them in.
    rank = np.arange(vertices.shape[0], dtype=np.int64)
    canon = star_clusters(rank, local[: len(rows)], local[len(rows) :])
    members = vertices[canon != rank]
    return undecided.sparkSession.createDataFrame([(int(x),) for x in members], _EMPTY)


def member_canonicals(edges: DataFrame, local_finish: int = 100_000) -> tuple[DataFrame, int]:
    """``x, canon``: every member (non-founder) vertex and the name of its canonical.

    Vertices are named in visit order; a member joins its first-visited founder neighbour.
    Founders, and documents without verified pairs, are their own canonical and are not
    listed. Also returns the rounds run.
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
    rounds that ran, the visit order's and the MIS's (0 when the graph was clustered on the
    driver).
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
    named, undirected, visit_rounds = _in_visit_order(freeze(edges), by_rank, local_finish)
    canon_names, rounds = member_canonicals(undirected, local_finish)
    canon = (
        canon_names.join(named.withColumnRenamed("name", "x"), "x")
        .join(named.select(F.col("name").alias("canon"), F.col("p").alias("canon_pos")), "canon")
        .select(F.col("p").alias("pos"), "canon_pos")
    )
    return freeze(canon), visit_rounds + rounds


def _in_visit_order(
    edges: DataFrame, by_rank: DataFrame, local_finish: int
) -> tuple[DataFrame, DataFrame, int]:
    """Vertices named in the local engine's visit order (:mod:`.visits`; containments up to
    ``local_finish`` done on the driver): ``p, name`` of every document, the edges as
    ``u < v`` names, and the distributed rounds the visit order took."""
    from pyspark.sql import functions as F

    inside = F.col("relation") == _CONTAINED_IN
    containments = edges.where(F.col("relation").isin(_CONTAINS, _CONTAINED_IN)).select(
        F.when(inside, F.col("rv")).otherwise(F.col("ru")).alias("c"),
        F.when(inside, F.col("ru")).otherwise(F.col("rv")).alias("e"),
    )
    moved, stride, rounds = moved_excerpts(containments, local_finish)
    if stride > 1:
        worst = by_rank.agg(F.max("r")).first()
        names_fit(int(worst[0]) if worst is not None else 0, stride)
    named = by_rank.join(moved, "r", "left").select(
        "p", F.coalesce(F.col("name"), F.col("r") * stride).alias("name")
    )
    ends = (
        edges.select("ru", "rv")
        .join(moved.select(F.col("r").alias("ru"), F.col("name").alias("nu")), "ru", "left")
        .join(moved.select(F.col("r").alias("rv"), F.col("name").alias("nv")), "rv", "left")
        .select(
            F.coalesce(F.col("nu"), F.col("ru") * stride).alias("a"),
            F.coalesce(F.col("nv"), F.col("rv") * stride).alias("b"),
        )
    )
    undirected = freeze(ends.select(F.least("a", "b").alias("u"), F.greatest("a", "b").alias("v")))
    return named, undirected, rounds


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
