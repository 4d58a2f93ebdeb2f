"""Stored documents fingerprinted before their source's boilerplate was learned, made anew.

A post is stripped of the boilerplate its source's stored documents show *when it comes*: a
paragraph is boilerplate once its carriers in the source hold ``Rules.min_documents`` stories,
the post itself not counted, nor a stored version of its id (:mod:`dedup.boilerplate.model`).
So the first articles of a new outlet keep its footer. Fingerprinted with it, short ones match
each other through the footer alone (``contains``, Jaccard about a half), and a later copy of
one of them without the footer is answered ``new``. The bulk job has no such problem: it
learns its corpus before it fingerprints any of it.

So a post whose paragraphs are judged boilerplate has :class:`Refresher` judge again the
stored documents of its source that carry those paragraphs and may have been stored before
they were boilerplate; those whose boilerplate changed get their boilerplate-aware text
fingerprinted anew (:meth:`~dedup.index.IndexCore.refingerprint` places them again), their
spans and reuse samples stored anew. It runs in the post's transaction, before the post is
matched, so that the post's verdict already sees them as they are now.

What bounds the work, which a busy footer's thousands of carriers would otherwise make:

* a paragraph that one of its keys makes boilerplate alone (:meth:`Judgement.deciding_key`:
  a footer's masked key, a "Read more:" label) is done once per key and source, recorded in
  the ``refreshed`` table: every later post carrying it was stripped of it when stored. A
  paragraph boilerplate only by its keys' carriers pooled (a footer whose every copy varies a
  little: each near the others, none recurring) is done once per key of it, its near forms'
  included. Before, each post of such a footer read every earlier carrier again: 122 ms a
  post at 1,000 posts (by a tester);
* a removal (a delete, or a replacement by an update or a load) of a carrier of a recorded key
  *reopens* the key in that source (:mod:`.reopened`): it may have left the key below enough
  stories, and the posts stored then kept it, so when a post finds it boilerplate again, the
  carriers stored after the removal are judged again (once), and the key is closed. Those
  stored before it were judged already, or stored stripped of it, so only the later ones are
  read. Forgetting the record instead read a busy footer's every carrier again after each
  deletion: with 1,000 carriers and a retention job deleting one before each post, a post took
  61-64 ms of CPU, against 3.0-3.7 ms with 0.25 of refresh (0.03 without deletions), and a
  deletion 0.06 ms more (by hand). Whether the removal left the key below is not asked: that
  is a story count over those carriers;
* documents stored by a bulk load with their boilerplate learned are *settled*
  (:func:`~dedup.collection.tables.settling`): the load judged them against its whole model,
  so they are never judged again. The ``settled`` table keeps the seq ranges of their
  ``bp_carriers`` rows, the load's own only: posts a service stores between the commits of a
  load (``--commit-every``) are not settled with it. A file from before the table is settled
  as it is when this code first opens it for writing;
* a carrier whose paragraphs carrying the key were stripped when it was stored is not read
  whole, only its paragraphs' keys and its stored spans.

A document stored anew by a refresh has a new place in the index (a new handle), which would
read as "stored after" a post decided before it; ``refreshed_documents`` keeps where its id
was first stored, for reports (:mod:`.stored_since`, which records updates alike).

Before keys were reopened, a key that deletions left below enough stories was not refreshed
when it reached them again: a reprint of a post stored meanwhile answered ``near_duplicate``
where a collection that never held the deleted posts said ``duplicate`` (by a tester).

Not done: a file's removals made by code from before the ``reopened`` table reopened nothing
(its keys are left as they are); a key's story count may also fall when a new carrier, first in
id order, is like two earlier stories (counted greedily,
:meth:`~dedup.boilerplate._signatures.Signatures.founded`), or shares a paragraph with each of
two (:meth:`Judgement.boilerplate` chains them), which reopens nothing; a carrier that holds a
paragraph only through a near-variant form, when
another key decided it, waits until its own form's keys decide it; documents stored by posts
before a bulk load into the same file are settled with it; a check (nothing stored) judges
with the fingerprints as they are, so it may miss what the next post of the source makes
fresh.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from dedup._int64 import signed
from dedup._json_param import json_array
from dedup.boilerplate import Stripper, content_or_full
from dedup.boilerplate.judgement import Judgement
from dedup.boilerplate.sqlite_lookups import tagged
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import KeyKind, Occurrence, keys_of
from dedup.collection import tables
from dedup.collection.reopened import Reopened
from dedup.collection.reuse_index import ReuseSets
from dedup.fingerprint import Fingerprinter
from dedup.index import SQLiteIndex
from dedup.types import Document

_Key = tuple[KeyKind, int]
_Pair = tuple[int, str | None]  # a tagged key and a source


class Refresher:
    """Judges again, inside a post's transaction, the stored documents a post's boilerplate
    shows were fingerprinted with it (see the module docstring)."""

    def __init__(
        self,
        index: SQLiteIndex,
        texts: tables.TextTable,
        postings: ReuseSets,
        boilerplate: SQLiteBoilerplateStore,
        stripper: Stripper,
        fingerprinter: Fingerprinter,
    ) -> None:
        self._index = index
        self._texts = texts
        self._postings = postings
        self._boilerplate = boilerplate
        self._stripper = stripper
        self._fingerprinter = fingerprinter
        # The (tag, source) pairs known recorded, so that a post looks up only new ones (about
        # 1.7 lookups a news post): rows are never deleted, but a rollback takes back those a
        # transaction wrote (``_written``), which are looked up again when it ends either way.
        self._committed: set[_Pair] = set()
        self._written: set[_Pair] = set()
        self._reopened = Reopened(index.connection)
        index.on_transaction(self._began, self._savepoint_rolled_back)
        boilerplate.on_removal(self._removed)

    def refresh(
        self, doc: Document, found: Sequence[Occurrence], judgement: Judgement
    ) -> tuple[str, ...]:
        """Judge again the stored carriers in ``doc``'s source of ``found``, the paragraphs
        of ``doc`` that ``judgement`` (over the store without ``doc``'s id) found boilerplate;
        the ids of those whose boilerplate changed, fingerprinted anew, sorted.

        They are judged against the store as the post leaves it, the post not counted: without
        the stored version of ``doc``'s id when the post replaces it, with it when the post
        is an unchanged re-post, whose stored version is judged again among them (counting
        itself, as every stored document judged again does)."""
        if not found:
            return ()
        conn = self._index.connection
        source, settled = doc.source, None
        candidates: dict[str, set[_Key]] = {}  # id -> the keys it carries the paragraph by
        # tag -> its key and the seq after which its carriers are judged (None: a new key, all)
        todo: dict[int, tuple[_Key, int | None]] = {}
        for occ in found:
            deciding = judgement.deciding_key(occ, source)
            # A key alone, or (pooled) every key of the paragraph: its near forms' too.
            for pair in [deciding] if deciding is not None else judgement.keys(occ):
                tag = signed(tagged(*pair))
                if tag in todo:
                    continue
                if not self._was_recorded(tag, source):
                    todo[tag] = (pair, None)
                elif (after := self._reopened.after((tag, source))) is not None:
                    todo[tag] = (pair, after)
        for (kind, key), after in todo.values():
            if settled is None:
                settled = tables.settled(conn)
            left = settled if after is None else tables.including_up_to(settled, after)
            for doc_id in self._boilerplate.carriers_outside(kind, key, source, left):
                candidates.setdefault(doc_id, set()).add((kind, key))
        if candidates and self._index.holds(doc):  # an unchanged re-post: its version stays
            judgement = judgement.counting_all()
        else:
            candidates.pop(doc.id, None)  # its stored version, if any, is replaced by the post
        again = self._again
        done = tuple(d for d in sorted(candidates) if again(d, candidates[d], judgement))
        pairs = [(tag, source) for tag, (_, after) in todo.items() if after is None]
        conn.executemany("INSERT INTO refreshed VALUES (?, ?)", pairs)
        self._written.update(pairs)
        self._reopened.close((tag, source) for tag, (_, after) in todo.items() if after is not None)
        return done

    def _was_recorded(self, tag: int, source: str | None) -> bool:
        """Whether this tagged key's carriers in ``source`` were judged again already."""
        pair = (tag, source)
        if pair in self._committed or pair in self._written:
            return True
        if not self._stored(pair):
            return False
        self._committed.add(pair)  # written by none of this transaction's posts: committed
        return True

    def _began(self) -> None:
        """A transaction begins, the last one ended: of the pairs it wrote, those stored were
        committed (the others were rolled back)."""
        written, self._written = self._written, set()
        self._committed.update(pair for pair in written if self._stored(pair))
        self._reopened.began()

    def _savepoint_rolled_back(self) -> None:
        """The transaction goes on without what the savepoint wrote."""
        self._written = {pair for pair in self._written if self._stored(pair)}
        self._reopened.rolled_back()

    def _removed(self, source: str | None, tags: np.ndarray) -> None:
        """A carrier of ``source`` with these tagged keys is removed or replaced: the recorded
        ones among them are reopened for the carriers stored from now on."""
        conn = self._index.connection
        query = (
            "SELECT DISTINCT tag FROM refreshed "
            "WHERE tag IN (SELECT value FROM json_each(?)) AND source IS ?"
        )
        found = conn.execute(query, (json_array(tags.view("<i8").tolist()), source))
        recorded = [row[0] for row in found]
        if recorded:
            self._reopened.reopen(recorded, source, tables.last_carrier(conn))

    def _stored(self, pair: _Pair) -> bool:
        query = "SELECT 1 FROM refreshed WHERE tag = ? AND source IS ? LIMIT 1"
        return self._index.connection.execute(query, pair).fetchone() is not None

    def _again(self, doc_id: str, keys: set[_Key], judgement: Judgement) -> bool:
        """Judge a stored document again, unless its paragraphs carrying ``keys`` were judged
        boilerplate already (most carriers of a pooled paragraph, every time); if its
        boilerplate changed, store it anew."""
        raw = self._texts.get_raw(doc_id)
        compressed, stored_spans = raw if raw is not None else (b"", None)
        if stored_spans is None:
            return False  # spans not stored (loaded without them): left as it was loaded
        stored = [tuple(span) for span in json.loads(stored_spans)]
        paragraphs = self._boilerplate.paragraphs(doc_id)
        carrying = [o for o in paragraphs if not keys.isdisjoint(keys_of(o))]
        if all((o.start, o.end) in stored for o in carrying):
            return False
        entry = self._boilerplate.get(doc_id)
        if entry is None:  # pragma: no cover - a carrier has its entry (same transaction)
            return False
        text = tables.decompress(compressed)
        row = self._index.get(doc_id)
        doc = Document(doc_id, text, row.source, row.published, row.title)
        stripped = self._stripper.remove([doc], judgement.judge([entry]))[0]
        spans = sorted(stripped.removed + stripped.chrome)
        if stored == spans:
            return False
        fp = self._fingerprinter.fingerprint_one(content_or_full(text, stripped))
        if self._index.refingerprint(doc, fp):  # its first handle kept (.stored_since)
            self._postings.put(doc_id, fp.shingles)
        self._texts.put(doc_id, text, spans, compressed)
        return True
