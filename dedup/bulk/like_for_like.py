"""A ``--strip-boilerplate`` run's verified pairs compared like for like (:mod:`dedup.treatment`).

The bulk job learns its corpus's boilerplate before it fingerprints any of it, but per source:
an outlet's brief is fingerprinted without the outlet's footer, and the same text, footer
included, from an aggregator (whose other documents do not carry that footer) with it. Verified
as fingerprinted, ``pairs.jsonl`` called the two ``contained_in``, and the aggregator's copy,
the longer as fingerprinted, became the canonical with the outlet's original as its member.
As in the collection (:mod:`dedup.collection.like_for_like`, where the rule and its reasons are
written), a verified pair other than a duplicate whose two documents were treated apart is
measured again with every paragraph either had removed cut from both, before the clusters are
made: identical normalised texts are a ``duplicate``, other pairs take the relation and the
measures of that comparison.

Finding those pairs without the texts: the model's entries hold each document's eligible paragraphs
(those that may be boilerplate at all: at its head or tail, or short) with their exact keys, and
the rewrite what it cut, both in memory. A pair is a suspect when a paragraph one of them had cut
(by key) is an eligible paragraph the other kept. Only the suspects' texts are read again (from the
inputs, a second pass over the positions they mark), and the text rule decides
(:func:`~dedup.treatment.treated_apart`: the same words, case and spacing aside). Each document's
treatment is looked up once; a pair costs two set operations at most (none when neither of its
documents had anything cut). On 20,000 generated news articles (``news_corpus(20000, seed=3,
fresh_bodies=True)``, ``dedup bulk --strip-boilerplate --jobs 2``) the stage took 0.35 s of the
run's 60 (before paragraphs were compared case and spacing aside): 18 of 7,221 pairs were compared
again (each within a gold cluster, its Jaccard up by 0.02-0.04) and one of them, a
``near_duplicate`` at Jaccard 0.948, became a ``duplicate``.

The pairs the sampled shingles propose (``--excerpts``, ``--passages``:
:mod:`dedup.bulk.sampled`) are compared with the verified ones, those that reached no relation
as fingerprinted included (:meth:`PairsAlike.with_proposed`): an aggregator's copy of a story's
first paragraph that kept the story's footer only shared passages with the story (LSH does not
propose the pair), and like for like is its excerpt, in its cluster, as the collection answers.

A ``--db`` collection places its documents by their fingerprints as they are loaded; then the
later document of each changed pair that is a copy or an excerpt of the earlier joins the
earlier's cluster (:meth:`~dedup.collection.loading.Loader.join_verified`): when the earlier is
its cluster's canonical (the add rule's direct verification) or the two texts are identical;
a later document that copies of it joined by their fingerprints moves with them when each
may join that cluster too (found so like for like, or verified by fingerprints): a story
loaded before two copies dated earlier, which kept its footer, was left a cluster of its own.

Not done: a carried paragraph that is not eligible in the document carrying it (a long one in
the middle of it) is not found; in a ``--db`` collection, a copy of a mere member of a cluster
stays in a cluster of its own (the collection's answers about the two compare them like for
like all the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from dedup.bulk.boilerplate import BoilerplateStage
from dedup.bulk.sampled import Proposed
from dedup.bulk.verify import VerifiedPairs
from dedup.fingerprint import Fingerprinter
from dedup.treatment import aware_text, cut_alike, relation_of, same_text, treated_apart
from dedup.types import Document, Relation
from dedup.verify import RELATIONS, Similarity

#: Reads the documents at the positions a boolean array marks again: ``(position, document)``.
Reader = Callable[[np.ndarray], Iterable[tuple[int, Document]]]

_DUPLICATE = RELATIONS.index(Relation.DUPLICATE)


class PairsAlike:
    """Compares a stripped run's verified pairs like for like (see the module docstring)."""

    def __init__(self, stage: BoilerplateStage, read: Reader, fingerprinter: Fingerprinter) -> None:
        self._stage = stage
        self._read = read
        self._fingerprinter = fingerprinter
        self._threshold = fingerprinter.config.threshold
        self.compared = 0  # pairs whose texts were compared again
        self.changed = 0  # of those, pairs whose relation changed
        #: (earlier, later, identical) positions of the changed pairs where the later document
        #: is a copy or an excerpt of the earlier: where a ``--db`` collection places it.
        self.joined: list[tuple[int, int, bool]] = []

    def __call__(self, pairs: VerifiedPairs, ids: Sequence[str]) -> VerifiedPairs:
        """``pairs`` (of documents by input position; ``ids`` theirs) with those whose two
        documents were treated apart measured like for like."""
        suspects = self.suspects(pairs, ids)
        if not suspects:
            return pairs
        wanted = np.zeros(len(ids), dtype=bool)
        wanted[pairs.left[suspects]] = True
        wanted[pairs.right[suspects]] = True
        docs = dict(self._read(wanted))
        out = VerifiedPairs(*(np.array(getattr(pairs, f)) for f in _FIELDS))
        for k in suspects:
            found = self._compare(docs[int(pairs.left[k])], docs[int(pairs.right[k])])
            if found is None:
                continue
            self.compared += 1
            sim, relation = found
            code = RELATIONS.index(relation)
            if code != int(out.relation[k]):
                self.changed += 1
                self._joined(int(pairs.left[k]), int(pairs.right[k]), relation)
            out.jaccard[k], out.relation[k] = sim.jaccard, code
            out.a_in_b[k], out.b_in_a[k] = sim.containment_a_in_b, sim.containment_b_in_a
        return out

    def with_proposed(
        self, pairs: VerifiedPairs, proposed: Proposed, ids: Sequence[str]
    ) -> tuple[VerifiedPairs, Proposed]:
        """``pairs`` and the pairs the sampled shingles ``proposed`` (``--excerpts``,
        ``--passages``), compared like for like together (one read of the suspects' texts);
        those of ``proposed.rest`` that reach a relation only so join ``proposed.alike``: an
        aggregator's excerpt that kept the story's footer, which as fingerprinted only shares
        passages with the story (LSH does not propose it)."""
        parts = (pairs, proposed.alike, proposed.rest)
        every = self(
            VerifiedPairs(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS)), ids
        )
        at = np.arange(len(every))
        first, second = len(pairs), len(pairs) + len(proposed.alike)
        rest = every.select(at >= second)
        reached = rest.relation != 0
        alike = VerifiedPairs.concat(
            [every.select((at >= first) & (at < second)), rest.select(reached)]
        )
        return every.select(at < first), Proposed(proposed.count, alike, rest.select(~reached))

    def joins(self, ids: Sequence[str]) -> list[tuple[str, str, bool]]:
        """:attr:`joined` by ids, in the order the later ones come: for
        :meth:`~dedup.collection.loading.Loader.join_verified`."""
        return [(ids[a], ids[b], same) for a, b, same in sorted(self.joined, key=lambda j: j[1])]

    def _joined(self, left: int, right: int, relation: Relation) -> None:
        """Note a changed pair whose later document may join the earlier's cluster: a copy or
        an excerpt of it (``relation`` is the left document's to the right one)."""
        later_is_left = left > right
        excerpt = Relation.CONTAINED_IN if later_is_left else Relation.CONTAINS
        if relation in (Relation.DUPLICATE, Relation.NEAR_DUPLICATE, excerpt):
            earlier, later = (right, left) if later_is_left else (left, right)
            self.joined.append((earlier, later, relation is Relation.DUPLICATE))

    def suspects(self, pairs: VerifiedPairs, ids: Sequence[str]) -> list[int]:
        """The pairs (indices) other than duplicates where a paragraph one document had cut is
        an eligible paragraph of the other that it kept, by exact key."""
        keys: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        found = []
        left, right = pairs.left.tolist(), pairs.right.tolist()
        for k in np.flatnonzero(pairs.relation != _DUPLICATE).tolist():
            a, b = left[k], right[k]
            if a not in keys:
                keys[a] = self._stage.paragraph_keys(ids[a])
            if b not in keys:
                keys[b] = self._stage.paragraph_keys(ids[b])
            (cut_a, kept_a), (cut_b, kept_b) = keys[a], keys[b]
            if (cut_a - cut_b) & kept_b or (cut_b - cut_a) & kept_a:
                found.append(k)
        return found

    def _compare(self, a: Document, b: Document) -> tuple[Similarity, Relation] | None:
        """The like-for-like relation and measures of two documents, or None if they were
        treated alike after all (by the text rule) or reach no relation."""
        spans_a, spans_b = self._stage.spans(a), self._stage.spans(b)
        if not treated_apart(a.text, spans_a, b.text, spans_b):
            return None
        cut_a, cut_b = cut_alike(a.text, spans_a, b.text, spans_b)
        fingerprinter = self._fingerprinter
        identical = same_text(fingerprinter, a.text, b.text)
        if cut_a is None and cut_b is None:  # carried inside paragraphs of their own
            return relation_of((Similarity(1.0, 1.0, 1.0), True), 1.0) if identical else None
        fa, fb = fingerprinter.fingerprint(
            [
                cut_a if cut_a is not None else aware_text(a.text, spans_a),
                cut_b if cut_b is not None else aware_text(b.text, spans_b),
            ]
        )
        identical = identical or fa.content_hash == fb.content_hash
        return relation_of((Similarity.of(fa.shingles, fb.shingles), identical), self._threshold)


_FIELDS = ("left", "right", "jaccard", "a_in_b", "b_in_a", "relation")
