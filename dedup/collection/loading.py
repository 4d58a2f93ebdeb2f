"""Bulk loading: a whole run of documents into a collection as one session (``bulk --db``).

Why not :meth:`Collection.load <dedup.collection.Collection.load>` per batch: each call is a
transaction, and each commit (and checkpoint) rewrites every page the batch touched all over
the randomly keyed B-trees (the index's band rows, the texts by id). When reuse postings were a
``(hash, id)`` B-tree too (about 145 rows per document), 100,000 documents took 301 s on a
quiet machine and wrote 101 GB for a 1.9 GB file; in a session, 60.7 s and 6.7 GB. A session:

* holds one transaction (``BEGIN IMMEDIATE``) from start to end, with a page cache of its own
  (:data:`CACHE_MB`), so a page is written about once per run rather than once per batch;
* writes documents, fingerprints and band rows through the index's ``add_many`` in steps of
  :data:`STEP` documents whatever the callers' batches (same handles, outcomes and clusters as
  :meth:`Collection.load`; with the callers' 256-document batches as steps, 100,000 documents
  took 96.5 s instead of 64.7, both with a 1 GB cache), texts and reuse samples (one row per
  document, appended: :mod:`dedup.collection.reuse_index`) in one statement per step.

What a reader sees: nothing of the session until it commits, then all of it. A session ended
by an exception, or a process killed during one, leaves the collection as it was before (an
uncommitted WAL tail is ignored when the file is next opened); the write lock is held for the
whole session, so other writers wait (``busy_timeout``) and then fail.

Unless the session commits as it goes (``commit_every``): for a file a service is writing.
There, holding the lock for a whole run stops every post for as long (37 s for 100,000 news
articles, by hand), and each of the service's processes then reads the run's rows at its next
request, which waited 8.1-8.6 s after that run. Committing every ``commit_every`` documents
(at the end of a step, so in multiples of :data:`STEP`) and taking the lock again only for the
next step's writes lets the service write between steps and read the run a step at a time
(boilerplate entries too, ``commit_every`` at a time); a step's commit rewrites the pages it
shares with the others, which one transaction writes once. Readers then see the run as it is
committed, and a failed session leaves its committed steps (loading the same documents again
stores nothing twice: same ids and texts are unchanged); ``dedup bulk`` reads its inputs once
before, so that a bad line stops it before any commit.

The stored rows are exactly those of :meth:`Collection.load` called with the same batches in
order, then placed as the run's clusters (tests/test_collection_loading.py compares tables).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from itertools import islice

import numpy as np

from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import tables
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.passages import MAX_REUSE_CANDIDATES
from dedup.collection.reuse_index import ReuseSets
from dedup.errors import InputError
from dedup.fingerprint import Fingerprint
from dedup.index import SQLiteIndex
from dedup.types import AddOutcome, Document, Relation
from dedup.verify import Similarity

#: Relations that let a document join the other's cluster (a copy or an excerpt of it).
_JOINS = (Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.CONTAINED_IN)

#: Documents written per step: the index's ``add_many`` costs less per document in bigger steps
#: (its band keys are probed and inserted in sorted order), the buffered texts and shingle sets
#: cost memory (about 10 KB per document).
STEP = 4096
#: A session's page cache (the usual one comes back after), smaller than the index's bulk cache
#: (1 GB): pages spilled go to the WAL early, at little cost. At 100,000 documents 256 MB took
#: 62.5 s as 1 GB did, peak RSS 1,016 MB not 2,067, 6.7 GB written not 5.8 (load 1.4-2.2).
CACHE_MB = 256


class Loader:
    """The writes of one loading session; see the module docstring and :func:`session`."""

    def __init__(
        self,
        index: SQLiteIndex,
        texts: tables.TextTable,
        reuse: ReuseSets,
        boilerplate: SQLiteBoilerplateStore,
        commit_every: int | None = None,
        like: LikeForLike | None = None,
    ) -> None:
        if commit_every is not None and (
            isinstance(commit_every, bool) or not isinstance(commit_every, int) or commit_every < 1
        ):
            raise InputError(
                f"commit_every must be a number of documents >= 1, got {commit_every!r}"
            )
        self._index = index
        self._texts = texts
        self._reuse = reuse
        self._boilerplate = boilerplate
        self._commit_every = commit_every
        self._like = like  # the collection's, to place documents like for like
        self.outcomes: Counter[AddOutcome] = Counter()  # of the documents written so far
        self._loaded: list[str] = []  # ids stored (added or updated) by the session, in order
        self._placed: set[str] = set()  # of those, placed as the run's clusters
        self._stored_before = len(index) > 0  # documents the session's own pairs do not reach
        self.commits = 0  # transactions committed so far
        self._docs: list[Document] = []  # added, not yet written
        self._fps: list[Fingerprint] = []
        self._spans: list[list[tuple[int, int]]] = []
        self._transaction: ExitStack | None = None  # the open one, if any
        self._uncommitted = 0  # documents written in it
        self.closed = False
        if commit_every is None:
            self._begin()  # the write lock now: a busy file fails the run before its work
        # Else at each step's writes, not over the reading and fingerprinting of the first.

    def add(
        self,
        docs: Sequence[Document],
        fingerprints: Sequence[Fingerprint],
        spans: Sequence[list[tuple[int, int]]] | None = None,
    ) -> None:
        """Store documents without checking them, as :meth:`Collection.load` does.

        ``fingerprints`` are those of the documents' boilerplate-aware texts and ``spans``
        their boilerplate spans (none, when the corpus's boilerplate was not learned). They
        are written :data:`STEP` documents at a time, each document's outcome counted in
        :attr:`outcomes` then.
        """
        self._check_open()
        if len(fingerprints) != len(docs):
            raise InputError(f"{len(fingerprints)} fingerprints for {len(docs)} documents")
        if spans is not None and len(spans) != len(docs):
            raise InputError(f"{len(spans)} boilerplate span lists for {len(docs)} documents")
        self._docs.extend(docs)
        self._fps.extend(fingerprints)
        self._spans.extend(spans if spans is not None else [[] for _ in docs])
        if len(self._docs) >= STEP:
            self._write()

    def _write(self) -> None:
        """The documents added since the last step: index, texts and reuse samples."""
        docs, fps, spans = self._docs, self._fps, self._spans
        self._docs, self._fps, self._spans = [], [], []
        if not docs:
            return
        self._begin()
        outcomes = self._index.add_many(docs, fps)
        self.outcomes.update(outcomes)
        rows: list[tuple[str, str, list[tuple[int, int]] | None]] = []
        added: list[tuple[str, np.ndarray]] = []
        for doc, fp, found, outcome in zip(docs, fps, spans, outcomes, strict=True):
            if outcome is AddOutcome.UNCHANGED:
                continue
            self._loaded.append(doc.id)
            rows.append((doc.id, doc.text, found))
            if outcome is AddOutcome.ADDED:
                added.append((doc.id, fp.shingles))
                continue
            self._reuse.put_many(added)  # in order: this replaces a row written before it
            added = []
            self._reuse.put(doc.id, fp.shingles)
        self._reuse.put_many(added)
        self._texts.put_many(rows)
        self._uncommitted += len(docs)
        if self._commit_every is not None and self._uncommitted >= self._commit_every:
            self._commit()

    def add_boilerplate(self, entries: Iterable[DocumentEntry]) -> None:
        """Store boilerplate model entries learned elsewhere, as they are; committing as it
        goes, ``commit_every`` entries a transaction (a corpus's entries, written at the end
        of its run, are most of what a learned model's collection holds)."""
        self._check_open()
        self._write()  # the documents first, as the calls came
        it = iter(entries)
        while chunk := list(islice(it, self._commit_every)):  # all at once if None
            self._begin()
            with tables.settling(self._index.connection):  # judged against their whole model
                self._boilerplate.put_many(chunk)
            if self._commit_every is not None:
                self._commit()

    def place_as_run(self, ids: Sequence[str], canonicals: Sequence[str]) -> int:
        """Place the documents the session stored as the run's clusters do (``ids`` and each
        one's canonical id in ``clusters.jsonl``) where what was stored before lets them
        (:meth:`SQLiteIndex.place_as_run`): written in input order before the run had a pair,
        a reprint had founded the cluster its original joined (by a tester). Before the joins,
        which leave documents placed so to the run's clusters, made from the same pairs at
        once (an identical twin's cluster, taken in load order, left 0.2 % of a fresh
        collection's pairs outside ``clusters.jsonl``'s). How many it placed, moved or not."""
        self._check_open()
        self._write()  # the documents first
        if len(ids) != len(canonicals):
            raise InputError(f"{len(canonicals)} canonicals for {len(ids)} documents")
        self._begin()
        run = dict(zip(ids, canonicals, strict=True))
        self._placed = self._index.place_as_run({d: run[d] for d in self._loaded if d in run})
        return len(self._placed)

    def join_clusters(self, pairs: Iterable[tuple[str, str]], *, stored: bool = False) -> int:
        """Place loaded documents with documents they relate to whole where LSH did not
        propose the pair (the bulk job's sampled candidates): for each ``(earlier, later)``
        pair of ids, in the order the later ones were loaded, the later document, if it
        founded a cluster, joins the earlier one's with its cluster's members
        (:meth:`IndexCore.join_cluster`), as the add would have placed it had LSH proposed the
        pair. Returns how many clusters moved.

        ``stored``: each document the session stored is offered too the documents stored
        apart from it that relate to it whole among its reuse candidates, as a post of it would
        be (:meth:`_stored_related`): the job's pairs are the run's own, so a second load left
        an excerpt of a story loaded before in a cluster of its own (9 of 20 clusters differed
        from posting the same documents, by a tester)."""
        self._check_open()
        self._write()  # the documents first
        related: dict[str, list[str]] = {}
        for earlier, later in pairs:
            if not (earlier in self._placed and later in self._placed):  # the run's clusters had it
                related.setdefault(later, []).append(earlier)
        self._begin()
        if stored and self._stored_before:
            for doc_id, ids in self._stored_related().items():
                related.setdefault(doc_id, []).extend(ids)
            at = {doc_id: k for k, doc_id in enumerate(self._loaded)}
            related = dict(sorted(related.items(), key=lambda item: at.get(item[0], len(at))))
        return sum(self._index.join_cluster(doc, ids) is not None for doc, ids in related.items())

    def join_verified(self, pairs: Iterable[tuple[str, str, bool]]) -> int:
        """Place loaded documents with documents they were found a copy or an excerpt of like
        for like only (:class:`~dedup.bulk.like_for_like.PairsAlike`): for each ``(earlier,
        later, identical)``, in the order the later ones were loaded, the later document
        joins the earlier's cluster (:meth:`IndexCore.join_verified`) when the earlier is its
        canonical, or the two texts are identical (an identical text goes where its twin is).
        Again while any moved (three passes at most): a document others had joined may not
        move, and may once they have left (two aggregators' copies of a story, the second
        joined to the first by their fingerprints; by a tester). A document others joined
        moves with them when each of them may join that cluster too (:meth:`_follow`): the
        story loaded before two copies dated earlier, which kept the footer it had cut, was a
        cluster of its own beside theirs, where ``clusters.jsonl`` has one (by a tester).
        Returns how many moved."""
        self._check_open()
        self._write()  # the documents first
        self._begin()
        pairs = [p for p in pairs if not (p[0] in self._placed and p[1] in self._placed)]
        moved = 0
        alike: dict[str, list[tuple[str, bool]]] = {}
        for earlier, later, identical in pairs:
            alike.setdefault(later, []).append((earlier, identical))
            if identical:  # a duplicate either way round
                alike.setdefault(earlier, []).append((later, identical))
        for _ in range(3):
            now = 0
            for earlier, later, identical in pairs:
                cluster = self._index.cluster_of(earlier)
                if identical or cluster == earlier:
                    follow = self._follow(later, cluster, alike)
                    found = self._index.join_verified(later, [cluster], with_members=follow)
                    now += found is not None
            moved += now
            if not now:
                break
        return moved

    def join_stored_alike(self) -> int:
        """Place each document the session stored that is still alone with the documents
        stored apart from the session that it is a copy or an excerpt of like for like
        (:meth:`~dedup.collection.like_for_like.LikeForLike.settle_loaded`), as its post
        would be; nothing in a collection that was empty, or without ``like``.
        After :meth:`join_clusters` and :meth:`join_verified` (the run's own pairs first, as
        its documents were loaded before its post would be). Returns how many moved."""
        self._check_open()
        self._write()  # the documents first
        if self._like is None or not self._stored_before:
            return 0
        self._begin()
        session = set(self._loaded)
        return self._like.settle_loaded(self._loaded, lambda doc_id: doc_id not in session)

    def _follow(self, doc_id: str, cluster: str, alike: dict[str, list[tuple[str, bool]]]) -> bool:
        """Whether the documents that joined ``doc_id``'s cluster (if it founded one) may each
        join ``cluster`` too: found a copy or an excerpt of it like for like (``alike``: of
        each later document, its earlier ones and whether identical), or verified against its
        canonical by their fingerprints, as the add rule would."""
        if self._index.cluster_of(doc_id) != doc_id:
            return False
        others = [m for m in self._index.cluster_members(doc_id) if m != doc_id]
        if not others:
            return False
        target = self._index.fingerprint_of(cluster)
        threshold = self._index.config.threshold
        for member in others:
            if any(
                self._index.cluster_of(e) == cluster and (same or e == cluster)
                for e, same in alike.get(member, [])
            ):
                continue
            fp = self._index.fingerprint_of(member)
            relation = Similarity.of(fp.shingles, target.shingles).relation(threshold)
            if fp.content_hash != target.content_hash and relation not in _JOINS:
                return False
        return True

    def _stored_related(self) -> dict[str, list[str]]:
        """For each document the session stored that founded a cluster, the documents stored
        apart from the session that relate to it whole among its first reuse candidates
        (:data:`~dedup.collection.passages.MAX_REUSE_CANDIDATES` of them), as
        :meth:`Passages.related` finds them for a post but with LSH's matches kept: an LSH
        query of each document would cost more than the lookup. Inside the session's
        transaction, whose rows one view of the reuse index reads."""
        index, threshold, session = self._index, self._index.config.threshold, set(self._loaded)
        found: dict[str, list[str]] = {}
        for start in range(0, len(self._loaded), STEP):
            ids = [d for d in self._loaded[start : start + STEP] if index.cluster_of(d) == d]
            for doc_id, shingles in index.shingles(ids).items():
                reuse = self._reuse.candidates(shingles, own=doc_id)
                apart = [d for d in reuse if d not in session][:MAX_REUSE_CANDIDATES]
                sets = index.shingles(apart)
                alike = [
                    d
                    for d in apart
                    if d in sets
                    and Similarity.of(shingles, sets[d]).relation(threshold) is not None
                ]
                if alike:
                    found[doc_id] = alike
        return found

    def finish(self) -> None:
        """Write what is still buffered (the session's last writes) and commit."""
        self._check_open()
        self._write()
        self._commit()
        self.closed = True

    def abandon(self, error: BaseException) -> None:
        """Roll the open transaction back (the writes since the last commit), for ``error``."""
        transaction, self._transaction = self._transaction, None
        self.closed = True
        if transaction is not None:
            transaction.__exit__(type(error), error, error.__traceback__)

    def _begin(self) -> None:
        """Open a transaction (taking the write lock) unless one is open; committing as it
        goes, first read what others committed without the lock (at a file's first step,
        100,000 stored articles took seconds that a service's posts would wait for)."""
        if self._transaction is None:
            if self._commit_every is not None:
                self._index.read_ahead()
            transaction = ExitStack()
            transaction.enter_context(self._index.atomic())
            self._transaction = transaction

    def _commit(self) -> None:
        transaction, self._transaction = self._transaction, None
        self._uncommitted = 0
        if transaction is not None:
            transaction.close()
            self.commits += 1

    def _check_open(self) -> None:
        if self.closed:
            raise InputError("this loading session has ended")


def load(
    index: SQLiteIndex,
    texts: tables.TextTable,
    postings: ReuseSets,
    store: SQLiteBoilerplateStore,
    docs: Sequence[Document],
    fingerprints: Sequence[Fingerprint],
    boilerplate: Iterable[DocumentEntry],
    spans: Sequence[list[tuple[int, int]]] | None,
) -> list[AddOutcome]:
    """:meth:`Collection.load <dedup.collection.Collection.load>`: documents, their texts and
    reuse samples, and boilerplate entries learned elsewhere, in one transaction."""
    with index.atomic():
        outcomes = index.add_many(docs, fingerprints)
        for k, (doc, fp, outcome) in enumerate(zip(docs, fingerprints, outcomes, strict=True)):
            if outcome is not AddOutcome.UNCHANGED:
                texts.put(doc.id, doc.text, spans[k] if spans is not None else [])
                postings.put(doc.id, fp.shingles)
        with tables.settling(index.connection):  # judged against their whole model
            store.put_many(boilerplate)
    return outcomes


@contextmanager
def session(
    index: SQLiteIndex,
    texts: tables.TextTable,
    reuse: ReuseSets,
    boilerplate: SQLiteBoilerplateStore,
    commit_every: int | None = None,
    like: LikeForLike | None = None,
) -> Iterator[Loader]:
    """One transaction around a :class:`Loader` (or one per ``commit_every`` documents),
    committed when the block ends without error, rolled back if it raises."""
    with index.bulk():  # the add_many calls inside keep its cache size...
        index.connection.execute(f"PRAGMA cache_size = {-1024 * CACHE_MB}")  # ...set to this
        loader = Loader(index, texts, reuse, boilerplate, commit_every, like)
        try:
            yield loader
            loader.finish()
        except BaseException as error:
            loader.abandon(error)  # ended either way: later writes through it are refused
            raise
