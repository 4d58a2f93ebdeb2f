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
last, until no key that changed is a container's (the next round would push the same keys):
at most as many rounds as the longest chain of containments. Only the excerpts visited out of
rank order (a key longer than ``[x]``) are kept. Visit order becomes integer names:
``x * stride`` for a document in its place, ``key[0] * stride + j`` for the ``j``-th (1, 2,
...) excerpt, in key order, visited right after the document ranked ``key[0]``.

As the clustering rounds do, few containments (``local_finish``) are collected and their keys
computed on the driver instead, by the same propagation in one pass in topological order.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _no_key() -> Column:
    """A null key."""
    from pyspark.sql import functions as F

    return F.lit(None).cast("array<bigint>")


def _push(key: Column, x: Column) -> Column:
    """The entries of ``key`` larger than ``x``, then ``x``."""
    from pyspark.sql import functions as F

    return F.concat(F.filter(key, lambda entry: entry > x), F.array(x))


def moved_excerpts(containments: DataFrame, local_finish: int) -> tuple[DataFrame, int, int]:
    """``r, name`` of every excerpt visited out of rank order, the stride of the other
    documents' names (``r * stride``), and the distributed rounds that ran. ``containments``
    has ``c, e`` (ranks: ``c`` contains ``e``); up to ``local_finish`` distinct ones are done
    on the driver."""
    edges = freeze(containments.select("c", "e").distinct())
    if edges.count() <= local_finish:
        rows = edges.collect()
        keys = keys_on_driver([r["c"] for r in rows], [r["e"] for r in rows])
        names, stride = names_on_driver(keys)
        return edges.sparkSession.createDataFrame(names, "r bigint, name bigint"), stride, 0
    frame, rounds = visit_keys(edges)
    moved, stride = visit_names(frame)
    return moved, stride, rounds


def keys_on_driver(container: Sequence[int], excerpt: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """The keys longer than ``(x,)`` from containments (ranks), each pushed once its
    container's is final (Kahn's order: a document once all its containers are done)."""
    below: dict[int, list[int]] = {}
    waiting: dict[int, int] = {}
    for c, e in zip(container, excerpt, strict=True):
        below.setdefault(c, []).append(e)
        waiting[e] = waiting.get(e, 0) + 1
    keys: dict[int, tuple[int, ...]] = {}
    ready = [c for c in below if c not in waiting]
    while ready:
        c = ready.pop()
        known = keys.get(c, (c,))
        for e in below.get(c, ()):
            pushed = (*(v for v in known if v > e), e)
            if pushed > keys.get(e, (e,)):
                keys[e] = pushed
            waiting[e] -= 1
            if waiting[e] == 0:
                ready.append(e)
    return keys


def names_on_driver(keys: dict[int, tuple[int, ...]]) -> tuple[list[tuple[int, int]], int]:
    """``(r, name)`` of the excerpts with these keys and the stride, as :func:`visit_names`."""
    after: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    for e, key in keys.items():
        after.setdefault(key[0], []).append((key, e))
    stride = 1 + max((len(group) for group in after.values()), default=0)
    names = [
        (e, g * stride + j)
        for g, group in after.items()
        for j, (_, e) in enumerate(sorted(group), start=1)
    ]
    return names, stride


def visit_keys(edges: DataFrame) -> tuple[DataFrame, int]:
    """``e, key`` of every excerpt visited out of rank order, from distinct containments
    ``c, e``, and the rounds that ran."""
    from pyspark.sql import functions as F

    keys = edges.sparkSession.createDataFrame([], _KEYS)
    # Excerpts that contain others: only a change of their keys can change another key.
    middles = freeze(
        edges.select("e")
        .distinct()
        .join(edges.select(F.col("c").alias("e")), "e", "left_semi")
        .select("e", _no_key().alias("key"), _no_key().alias("old"), F.lit(True).alias("middle"))
    )
    rounds = 0
    while True:
        rounds += 1
        parents = keys.select(F.col("e").alias("c"), F.col("key").alias("known"))
        pushed = edges.join(parents, "c", "left").select(
            "e",
            _push(F.coalesce("known", F.array("c")), F.col("e")).alias("key"),
            _no_key().alias("old"),
            F.lit(False).alias("middle"),
        )
        # A pushed key longer than [e] is larger than [e]: only those can move e. Keys only
        # grow, so the largest pushed key is the new one; the old rides along to compare.
        known = keys.select("e", "key", F.col("key").alias("old"), F.lit(False).alias("middle"))
        grown = freeze(
            pushed.where(F.size("key") > 1)
            .unionByName(known)
            .unionByName(middles)
            .groupBy("e")
            .agg(*(F.max(c).alias(c) for c in ("key", "old", "middle")))
            .where(F.col("key").isNotNull())
        )
        keys = grown.select("e", "key")
        changed = ~F.col("key").eqNullSafe(F.col("old"))
        if grown.where(changed & F.col("middle")).isEmpty():
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
