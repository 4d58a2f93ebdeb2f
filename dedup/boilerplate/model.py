"""The boilerplate model: learns which paragraphs recur, and judges paragraphs against that.

Learning is storing (:meth:`BoilerplateModel.observe`): every decision is computed from the
store when asked, from sets of documents, so it depends only on which documents were observed,
never on their order or on how they were batched (observing one by one equals a rebuild).

A paragraph's *carriers* are the stored documents with an eligible paragraph matching it: the
same exact key, the same masked key, the same name template (short paragraphs at the head or
tail only), the same label ("Read more: ...", once per document), or a verified near-duplicate
masked text. It is boilerplate when its carriers within its source group hold at least
``Rules.min_documents`` distinct stories (see :class:`~dedup.boilerplate.rules.Rules`). A
paragraph carried by fewer documents, in particular one that no other document matches, is
never boilerplate. :class:`~dedup.boilerplate.judgement.Judgement` applies these rules.

A document is never its own carrier. A post is judged before it is stored; a check of a
stored id, or a re-post of one (a retry, or a correction with another text), is judged with
that id left out (:meth:`BoilerplateModel.judgement`), as if it were not stored: else a footer
carried by exactly ``Rules.min_documents`` stories counting it was boilerplate for the re-post
and not for the first post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice

from dedup.boilerplate.judgement import Judgement
from dedup.boilerplate.patterns import Carriers, Groups, Pattern, carriers_of
from dedup.boilerplate.prepare import EntryBuilder
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import BoilerplateStore, DocumentEntry, MemoryStore, Occurrence
from dedup.config import Config
from dedup.paragraphs import Segmenter
from dedup.types import Document

#: Decisions a :meth:`BoilerplateModel.steady_judge` keeps at most (a few hundred bytes each).
STEADY_DECISIONS = 1 << 18
#: Stored documents :meth:`BoilerplateModel.patterns` judges at a time.
_PATTERN_BATCH = 256

#: Judges entries: the boilerplate occurrences of each, in order.
Judge = Callable[[Sequence[DocumentEntry]], list[list[Occurrence]]]


class BoilerplateModel:
    """Counts recurring paragraphs per source and judges paragraphs as boilerplate or content.

    ``store`` keeps what was observed (default: a fresh :class:`MemoryStore`); the model itself
    holds no corpus state, so two models over one store agree.
    """

    def __init__(
        self,
        config: Config | None = None,
        rules: Rules | None = None,
        store: BoilerplateStore | None = None,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.rules = rules or Rules()
        self.builder = EntryBuilder(config, self.rules, segmenter)
        self.store: BoilerplateStore = store if store is not None else MemoryStore()

    # --- learning -------------------------------------------------------------------------

    def observe(self, document: Document) -> DocumentEntry:
        """Learn one document (a document with a stored id replaces the stored one)."""
        return self.observe_many([document])[0]

    def observe_many(
        self, documents: Iterable[Document], batch_size: int = 256
    ) -> list[DocumentEntry]:
        """Learn documents, fingerprinting them in batches; returns their entries in order."""
        out: list[DocumentEntry] = []
        it = iter(documents)
        while batch := list(islice(it, batch_size)):
            for entry in self.builder.build(batch):
                self.store.put(entry)
                out.append(entry)
        return out

    def rebuild(self, documents: Iterable[Document]) -> None:
        """Forget everything, then learn ``documents``."""
        self.store.clear()
        self.observe_many(documents)

    # --- judging --------------------------------------------------------------------------

    def judge(self, entries: Sequence[DocumentEntry]) -> list[list[Occurrence]]:
        """The boilerplate paragraphs of each entry (observed or only built), in text order."""
        return Judgement(self.store, self.rules).judge(entries)

    def judgement(self, leave_out: str | None = None) -> Judgement:
        """One round of judging over the store as it is now: its decisions and lookups are
        kept for later questions about the same paragraphs (:meth:`Judgement.deciding_key`).

        ``leave_out``: the id of the document to be judged, whose stored version, if any,
        then carries nothing. Nothing more is looked up for it: only the carriers found to
        hold enough stories are searched for it, and counted again without it if it is there.
        """
        return Judgement(self.store, self.rules, leave_out=leave_out)

    def steady_judge(self, most: int = STEADY_DECISIONS) -> Judge:
        """:meth:`judge` for batch after batch while the store does not change (a bulk run
        judges its corpus once it has learned all of it); safe to call from several threads.

        Decisions carry over from one batch to the next, up to ``most`` of them (then they
        start over), where :meth:`judge` decides every key of a batch again. A story reprinted
        in many documents of one source (or of a corpus without sources) makes each of its
        paragraphs a key whose carriers must all be read to find them one story: decided
        again in every batch, that was most of a ``--strip-boilerplate`` run over such a corpus.
        """
        return Judgement(self.store, self.rules, most).judge

    def carriers(self, paragraph: str) -> Carriers:
        """Stored documents (of every source) carrying ``paragraph``'s pattern.

        ``paragraph`` is matched as a short paragraph at the head of a document would be, so
        its exact, masked, name-template and near-duplicate forms all count.
        """
        entry = self.builder.build([Document("", paragraph)])[0]
        if not entry.occurrences:
            return Carriers((), ())
        found = Judgement(self.store, self.rules).carriers(entry.occurrences[0])
        return carriers_of(found)

    def patterns(self) -> list[Pattern]:
        """Every boilerplate pattern of the stored corpus, most widespread first.

        Boilerplate paragraphs are grouped by shared keys and verified near-duplicate masked
        texts. ``text`` is the pattern's most frequent original paragraph (ties: the one in the
        smallest document id); ``documents`` and ``sources`` list the documents in which a
        paragraph of the pattern is boilerplate.
        """
        # Decisions bounded as a steady judge's: unbounded, they held 36 MB of RSS at 20,000
        # news articles and grew with the corpus.
        judge = Judgement(self.store, self.rules, STEADY_DECISIONS)
        found: list[tuple[str, str | None, Occurrence]] = []
        entries = iter(self.store.entries())
        while batch := list(islice(entries, _PATTERN_BATCH)):  # near forms looked up together
            found.extend(
                (entry.doc_id, entry.source, occ)
                for entry, occurrences in zip(batch, judge.judge(batch), strict=True)
                for occ in occurrences
            )
        groups = Groups()
        for i, (_, _, occ) in enumerate(found):
            groups.add(i, judge.keys(occ))
        patterns: list[Pattern] = []
        for members in groups.members():
            texts: dict[int, list[tuple[str, int, str]]] = {}
            for i in members:
                doc_id, _, occ = found[i]
                texts.setdefault(occ.exact, []).append((doc_id, occ.start, occ.text))
            best = min(texts.values(), key=lambda v: (-len(v), min(v)))
            carriers = {found[i][0]: found[i][1] for i in members}
            c = carriers_of(carriers)
            patterns.append(Pattern(min(best)[2], c.documents, c.sources))
        patterns.sort(key=lambda p: (-len(p.documents), p.text))
        return patterns

    def build(self, documents: Sequence[Document]) -> list[DocumentEntry]:
        """Entries of documents without learning them (to judge unseen text)."""
        return self.builder.build(documents)
