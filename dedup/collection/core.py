"""A persistent collection of articles that new ones are checked against, one at a time.

The online counterpart of the bulk job, used by the service (and by anyone holding a SQLite
file). One file holds the index (fingerprints, LSH band keys, clusters), the original texts,
the boilerplate model's paragraph keys and the reuse postings, all written in one transaction.

Checking a document:

1. its boilerplate is judged against the other stored documents (per source: never its own
   id's, which a check or re-post finds), and its boilerplate-aware text is fingerprinted;
2. the index proposes and verifies matches (duplicate, near-duplicate, containment);
3. every match gets its passages, aligned on the original texts with boilerplate left out;
4. the reuse postings propose documents sharing passages; those are aligned and kept when they
   pass the :class:`~dedup.align.ReuseRule`.

Steps 1-2 decide the status and what is stored (:meth:`Collection.post_pending`); 3-4 describe
the matches, after the commit (:meth:`Collection.report`: on a reader, in the service).
A :class:`Collection` is used by one thread at a time. A service gives the writer (``post``,
``delete``) a thread of its own, so check-and-insert is atomic, and reads run on other
instances opened ``readonly`` on the same file: SQLite's WAL lets them read while it writes,
each read-only verb from one snapshot (:func:`~dedup._guarded.one_snapshot`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Self

from dedup._guarded import one_snapshot, storage_errors
from dedup.boilerplate import BoilerplateModel, Stripped, Stripper
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import loading, tables, warm
from dedup.collection.deciding import Deciding
from dedup.collection.file_settings import FileSettings
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.loading import Loader
from dedup.collection.passages import Passages
from dedup.collection.refresh import Refresher
from dedup.collection.reports import (
    STORED_AS,
    DocumentView,
    Pending,
    PostReport,
    Prepared,
    Verdict,
    Window,
    joins,
    placed,
)
from dedup.collection.reuse_index import ReuseSets
from dedup.collection.stored_since import recording
from dedup.config import Config
from dedup.errors import DocumentNotFoundError, InputError, ReadOnlyError
from dedup.fingerprint import Fingerprint, Fingerprinter
from dedup.index import DEFAULT_BUSY_TIMEOUT, SQLiteIndex, window_bounds
from dedup.io import dated_document, stored_document
from dedup.types import AddOutcome, Document

#: The SQLite page cache of a collection opened read-only, in MB: a reader reads scattered rows
#: once each (the OS caches the file anyway), and a service keeps several.
READER_CACHE_MB = 64


class Collection(FileSettings):
    """Articles in one SQLite file; see the module docstring."""

    def __init__(self, index: SQLiteIndex, *, readonly: bool = False) -> None:
        self.index = index
        self.config: Config = index.config
        self.readonly = readonly
        self._guard = index.storage_errors_raised  # the verbs' (storage_errors)
        self._snapshot = index.reading  # the read-only verbs' (one_snapshot)
        conn = index.connection
        if not readonly and tables.missing(conn):
            with index.atomic():
                SQLiteBoilerplateStore(conn).create()
                tables.create(conn)
        tables.check_version(conn, tables.stored_settings(), where=str(index.path))
        self._texts = tables.TextTable(conn)
        self._postings = ReuseSets(conn)
        self._boilerplate = SQLiteBoilerplateStore(conn, keep_views=True, guard=self._guard)
        # Lookups then read only new rows, and keep a transaction's views until a rollback.
        index.on_transaction(self._boilerplate.catch_up, self._boilerplate.rolled_back)
        self._model = BoilerplateModel(self.config, store=self._boilerplate)
        self._stripper = Stripper(self._model)
        self._fingerprinter = Fingerprinter(self.config)
        self._like = LikeForLike(index, self._texts, self._fingerprinter)
        self._passages = Passages(index, self._texts, self._postings, self._stripper, self._like)
        self._stores = (self._texts, self._postings, self._boilerplate)
        self._refresher = Refresher(index, *self._stores, self._stripper, self._fingerprinter)
        self._deciding = Deciding(
            index,
            self._model,
            self._stripper,
            self._refresher,
            self._fingerprinter,
            self._like,
            self._passages,
        )
        index.place_with(self._like.noting(self._passages, self.config.threshold))
        if not readonly:  # a replaced document keeps its first mark for reports (.stored_since)
            index.on_replace(recording(conn))
        index.on_transaction(self._postings.began, self._postings.rolled_back)

    @classmethod
    def open(
        cls,
        path: str | Path,
        config: Config | None = None,
        *,
        readonly: bool = False,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> Collection:
        """The collection in ``path`` (made if missing, unless ``readonly``; ``":memory:"``:
        private), with the stored config if ``config`` is None (another: ConfigMismatchError).
        A write waits ``busy_timeout`` s at most while another process writes, then raises
        :class:`IndexBusyError` unwritten."""
        cache = READER_CACHE_MB if readonly else 256
        index = SQLiteIndex(
            path, config, cache_mb=cache, busy_timeout=busy_timeout, readonly=readonly
        )
        try:
            with index.storage_errors_raised():
                return cls(index, readonly=readonly)
        except BaseException:
            index.close()
            raise

    # --- lifetime and transactions ---------------------------------------------------------------

    def close(self) -> None:
        """Close the file."""
        self.index.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @storage_errors
    def __len__(self) -> int:
        return len(self.index)

    @storage_errors
    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.index

    def __iter__(self) -> Iterator[str]:
        with self._guard():
            yield from self.index

    @property
    def boilerplate(self) -> BoilerplateModel:
        """The boilerplate model over the stored corpus (to strip texts in bulk); its reads of
        a failing or damaged file raise the library's errors, as the verbs do."""
        return self._model

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes in one commit; nested blocks (and each verb inside) are savepoints.
        Posts inside see the writes of those before them, so check-and-insert stays atomic,
        and they become durable together when the outermost block ends: a writer serving many
        clients commits once per batch instead of once per post (group commit)."""
        self._writable()
        return self.index.atomic()

    # --- the verbs -----------------------------------------------------------------------------

    @one_snapshot
    def strip(self, text: str, source: str | None = None) -> Stripped:
        """``text`` without the boilerplate the stored corpus shows (per ``source``)."""
        return self._stripper.strip(text, source)

    def prepare(self, doc: Document, *, compress: bool = True) -> Prepared:
        """What checking ``doc`` computes from its text alone, reading nothing stored, so that it
        can run anywhere (thread-safe) before :meth:`check` or :meth:`post`: its boilerplate
        entry (a fifth of a post's computing) and (``compress``) its text as a post stores it."""
        return self.prepare_many([doc], compress=compress)[0]

    @storage_errors
    def prepare_many(self, docs: Sequence[Document], *, compress: bool = True) -> list[Prepared]:
        """:meth:`prepare` of each of ``docs``, together: they share the fixed cost of its array
        calls, a third of a lone news article's (``benchmarks/prepare_batches.py``)."""
        docs = [stored_document(doc) for doc in docs]  # its date in the stored form
        entries = self._model.build(docs)
        return [
            Prepared(doc, self.config.id, entry, tables.compress(doc.text) if compress else None)
            for doc, entry in zip(docs, entries, strict=True)
        ]

    @one_snapshot
    def check(
        self,
        doc: Document,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
        prepared: Prepared | None = None,
    ) -> Verdict:
        """What ``doc`` duplicates, contains, reuses or carries as boilerplate; nothing stored.
        ``prepared`` is :meth:`prepare`'s result for ``doc``, computed elsewhere beforehand."""
        pending = self._match(doc, since, until, exclude_same_source, prepared)
        if self.index.holds(doc):  # as a post of it answers: unchanged, a duplicate of itself
            verdict = replace(pending.verdict, status="duplicate", duplicate_of=doc.id)
            pending = replace(pending, verdict=verdict)
        return self.report(pending)

    @storage_errors
    def post(
        self,
        doc: Document,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
        prepared: Prepared | None = None,
    ) -> Verdict:
        """Check ``doc`` and store it (:meth:`post_pending`, :meth:`report_post`, then
        :meth:`join_cluster` with what the report found beyond the index's matches).

        Re-posting an id with the same text and metadata changes nothing and answers
        ``duplicate`` of itself; an id with another text is an update. ``prepared`` is
        :meth:`prepare`'s result for ``doc``: a writer that serialises posts computes it on
        another thread first, leaving only the work that reads the file to the writer.
        """
        window = Window(since, until, exclude_same_source)._asdict()
        pending = self.post_pending(doc, **window, prepared=prepared)
        report = self.report_post(pending)
        if report.related:
            self.join_cluster(doc.id, report.related)
        return report.verdict

    @storage_errors
    def post_pending(
        self,
        doc: Document,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
        prepared: Prepared | None = None,
    ) -> Pending:
        """The part of :meth:`post` that stores: the document, placed by its matches (compared
        like for like where boilerplate was removed apart, :mod:`.like_for_like`), after the
        stored documents of its source that its boilerplate shows were fingerprinted with it
        are fingerprinted anew (:mod:`dedup.collection.refresh`). :meth:`report` then aligns
        the passages (a third of a post's computing) and measures the reuse candidates, which
        may widen the status: a writer that serialises posts leaves it to other threads, so
        that the next post starts sooner. A matched document deleted or replaced meanwhile is
        aligned as it is then: as if it had changed just after the post."""
        self._writable()
        with self.index.atomic():
            pending = self._match(doc, since, until, exclude_same_source, prepared, refresh=True)
            fp, ready, doc = pending.fingerprint, pending.prepared, pending.prepared.doc
            outcome = self.index.add(doc, fp)
            if outcome is not AddOutcome.UNCHANGED:
                self._texts.put(doc.id, doc.text, [*pending.verdict.boilerplate], ready.compressed)
                self._postings.put(doc.id, fp.shingles, new=outcome is AddOutcome.ADDED)
                self._boilerplate.put(ready.entry)  # what observe(doc) stores, built once
            self._like.settle_noted()  # orphans of a refreshed or replaced version first
            if outcome is not AddOutcome.UNCHANGED and pending.compared:
                self._like.place(pending)  # placed as answered (.like_for_like)
        stored = STORED_AS[outcome]
        verdict = replace(pending.verdict, stored=stored)
        if outcome is AddOutcome.UNCHANGED:
            verdict = replace(verdict, status="duplicate", duplicate_of=doc.id)
        return replace(pending, verdict=verdict)

    @storage_errors
    def join_cluster(self, doc_id: str, related: Sequence[str]) -> str | None:
        """:meth:`~dedup.index.IndexCore.join_cluster` with the documents a post's
        :meth:`report_post` names (:meth:`post` does it), then like for like (.like_for_like)."""
        self._writable()
        with self.index.atomic():
            moved = self.index.join_cluster(doc_id, related)
            return self._like.join(doc_id, related) or moved

    @storage_errors
    def warm_up(self, doc: Document) -> None:
        """Load every compiled kernel the verbs use (:mod:`dedup.collection.warm`), then read
        what a first request reads: a read-only collection checks ``doc`` (building the reuse
        index a report uses), a writable one computes what a post of it decides, in a write
        transaction (whose start reads what a writer looks up). Nothing is stored: a writer
        that leaves the passages to readers stays without the reuse index."""
        warm.exercise(self.config)
        if self.readonly:
            self.check(doc)
            return
        with self.index.atomic():
            self._match(doc, None, None, False)

    @one_snapshot
    def report(self, pending: Pending) -> Verdict:
        """The verdict of a :meth:`post_pending` or a check, with the passages of its matches and
        the reuse candidates that relate to it whole (the status follows them) or by passages."""
        return self.report_post(pending).verdict

    @one_snapshot
    def report_post(self, pending: Pending) -> PostReport:
        """A post's :meth:`report`, and the documents to place it with (:meth:`join_cluster`):
        those the report found related to it whole that the index did not match
        (:func:`~dedup.collection.reports.joins`), and those its window left out of the report
        (the index places a document by every stored one, whatever a post's window): the
        reuse candidates the same post without a window would align, no others."""
        if pending.prepared.config_id != self.config.id:
            raise InputError("pending from a collection with another config than this one")
        threshold = self.config.threshold
        verdict, left_out, unranked = self._passages.report(pending, threshold)
        related = tuple(doc_id for doc_id in joins(pending, verdict) if doc_id not in unranked)
        if placed(verdict) and left_out:
            related += tuple(self._passages.related_outside(pending, left_out, threshold))
        return PostReport(verdict, related)

    @storage_errors
    def load(
        self,
        docs: Sequence[Document],
        fingerprints: Sequence[Fingerprint],
        boilerplate: Iterable[DocumentEntry] = (),
        spans: Sequence[list[tuple[int, int]]] | None = None,
    ) -> list[AddOutcome]:
        """Store documents without checking them, in one transaction (a corpus: :meth:`loading`).

        ``fingerprints`` are those of the documents' boilerplate-aware texts (the bulk job's)
        and ``spans`` their boilerplate spans (none, when the corpus's boilerplate was not
        learned); ``boilerplate`` entries, learned elsewhere, are stored as they are, and the
        documents judged against them (:func:`~dedup.collection.tables.settling`)."""
        self._writable()
        return loading.load(self.index, *self._stores, docs, fingerprints, boilerplate, spans)

    def loading(self, commit_every: int | None = None) -> AbstractContextManager[Loader]:
        """A bulk load (``with c.loading() as load: load.add(docs, fps)``), one transaction or one
        per ``commit_every`` documents (:mod:`dedup.collection.loading`); no other writes in it."""
        self._writable()
        return loading.session(self.index, *self._stores, commit_every, self._like)

    @one_snapshot
    def get(
        self,
        doc_id: str,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> DocumentView:
        """A stored document with its cluster and its matches (passages included), the
        matches within a window as :meth:`check`'s are (the cluster is the document's own)."""
        window = Window(*window_bounds(since, until), exclude_same_source)
        return self._passages.view(doc_id, self.config.threshold, window)

    @storage_errors
    def delete(self, doc_id: str) -> None:
        """Remove a stored document everywhere (:class:`DocumentNotFoundError` if absent)."""
        self._writable()
        if doc_id not in self.index:
            raise DocumentNotFoundError(doc_id)
        with self.index.atomic():
            self.index.remove(doc_id)
            self._texts.delete(doc_id)
            self._postings.delete(doc_id)
            self._boilerplate.remove(doc_id)
            self._like.settle_noted()

    # --- internals -----------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.readonly:
            raise ReadOnlyError("this collection was opened read-only")

    def _prepared(self, doc: Document, prepared: Prepared | None) -> Prepared:
        if prepared is None:  # a post that stores it compresses its text then
            return self.prepare(doc, compress=False)  # which checks it (stored_document)
        # Equal to a document prepare() checked, only its date needs the stored form.
        if prepared.config_id != self.config.id or prepared.doc != dated_document(doc):
            raise InputError("prepared for another document or config than this one")
        return prepared

    def _match(
        self,
        doc: Document,
        since: str | None,
        until: str | None,
        exclude_same_source: bool,
        prepared: Prepared | None = None,
        *,
        refresh: bool = False,
    ) -> Pending:
        """A check but what :meth:`report` adds (:class:`~.deciding.Deciding`): what decides a
        post's status and what it stores (``refresh``: a post's)."""
        window = Window(*window_bounds(since, until), exclude_same_source)
        return self._deciding.decide(self._prepared(doc, prepared), window, refresh=refresh)
