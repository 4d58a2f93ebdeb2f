"""Placing a bulk run's documents as the run's own star clusters place them.

Why: the incremental rule (:mod:`dedup.index._clusters`) gives the batch clusters only when
documents arrive in canonical order, and a bulk load writes them in input order (its steps are
written while the job still reads, before any pair is known). In reverse order a reprint
founded the cluster its original then joined, and an excerpt written before its container
stayed alone; of 2,000 shuffled articles the collection had 1,516 clusters where
``clusters.jsonl`` had 1,417 (by a tester). Once the job has its clusters, the load's documents
take them instead: every member of a star verifies against its canonical directly (a verified
pair of the run), so the chaining guard holds as in an add.

Only documents the load stored move, and only within clusters founded by one of them whose
members it all stored: a document that joined a cluster stored before keeps it, as its post
would have (stored documents do not move), and a cluster others joined (a service's post
between two commits of the load) keeps its canonical and members. A document whose run
canonical stays in such a cluster founds its own, as it would have loaded after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from dedup.index._store import Store

#: Ids looked up per statement (the rows of a 100,000-document load are not held at once).
CHUNK = 4096


def place_as_run(store: Store, run: Mapping[str, str]) -> set[str]:
    """Give each document of ``run`` (id -> the id of its run canonical, for the documents a
    load stored) the run's canonical where the module docstring allows; the ids it placed so
    (moved or not)."""
    ids = list(run)
    found: dict[str, tuple[int, int]] = {}  # id -> (handle, canonical), about 100 bytes each
    for start in range(0, len(ids), CHUNK):
        for doc_id, row in store.rows_by_id(ids[start : start + CHUNK]).items():
            if row.canonical is not None:
                found[doc_id] = (row.handle, row.canonical)
    handles = {handle for handle, _ in found.values()}
    founded = Counter(canonical for _, canonical in found.values() if canonical in handles)
    whole = {c for c, n in founded.items() if len(store.members(c)) == n}
    free = {doc_id: at for doc_id, at in found.items() if at[1] in whole}
    moving: list[int] = []
    targets: list[int] = []
    for doc_id, (handle, canonical) in free.items():
        star = run[doc_id]
        target = free[star][0] if star in free and run.get(star) == star else handle
        if target != canonical:
            moving.append(handle)
            targets.append(target)
    store.set_canonical(moving, targets)
    return set(free)
