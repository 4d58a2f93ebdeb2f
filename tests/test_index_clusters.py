"""Incremental star clusters in the index, on both backends: the rule of dedup.index._clusters."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from _index_support import CONFIG, at, doc, edited, head, text

from dedup.cluster import canonical_order, star_clusters
from dedup.errors import DocumentNotFoundError
from dedup.fingerprint import Fingerprinter
from dedup.index import IndexCore
from dedup.types import Document, Relation
from dedup.verify import RELATIONS, Similarity

A = text(1)
# Three unrelated 100-word blocks: documents made of them relate exactly as their blocks do.
X, Y, Z = text(11, 100), text(12, 100), text(13, 100)
# A chain of copies: SHORT_X + LONG_Y and LONG_Y + SHORT_Z are each a copy (Jaccard 0.82) of
# SHORT_X + LONG_Y + SHORT_Z, and unrelated to each other (0.78 of either is in the other).
SHORT_X, LONG_Y, SHORT_Z = text(14, 30), text(15, 110), text(16, 30)
CHAIN = (f"{SHORT_X} {LONG_Y}", f"{SHORT_X} {LONG_Y} {SHORT_Z}", f"{LONG_Y} {SHORT_Z}")


def test_a_copy_joins_the_cluster_of_the_document_it_copies(index: IndexCore) -> None:
    """A near-duplicate added after its original is in the original's cluster."""
    index.add_many([doc("a", A, at(9)), doc("b", edited(A, 60), at(10))])
    assert (index.cluster_of("a"), index.cluster_of("b"), index.get("b").cluster) == ("a",) * 3


def test_an_unrelated_document_founds_its_own_cluster(index: IndexCore) -> None:
    """A document that verifies against no canonical is its own cluster."""
    index.add_many([doc("a", A), doc("x", X)])
    assert index.cluster_of("x") == "x"


def test_the_chaining_guard_keeps_unrelated_ends_of_a_chain_apart(index: IndexCore) -> None:
    """A~B and B~C with A and C unrelated: C verifies against a member only, so founds a cluster."""
    index.add_many([doc("a", CHAIN[0], at(9)), doc("b", CHAIN[1], at(10))])
    index.add(doc("c", CHAIN[2], at(11)))
    assert [m.id for m in index.similar("c").matches] == ["b"]  # the chain exists
    assert (index.cluster_of("b"), index.cluster_of("c")) == ("a", "c")


def test_a_new_document_joins_the_best_ranked_canonical_it_verifies_against(
    index: IndexCore,
) -> None:
    """Of two canonicals a document verifies against, the earlier published one wins: here an
    excerpt of both (the middle half of A, in its first and its last three quarters)."""
    index.add_many([doc("x", head(A, 0.75), at(10)), doc("y", A[len(A) // 4 :], at(9))])
    assert (index.cluster_of("x"), index.cluster_of("y")) == ("x", "y")
    words = A.split(" ")
    index.add(doc("z", " ".join(words[len(words) // 4 : 3 * len(words) // 4]), at(11)))
    assert index.cluster_of("z") == "y"


def test_a_document_that_contains_a_canonical_does_not_join_it(index: IndexCore) -> None:
    """A long article that quotes a stored brief whole is not a copy of it: it founds a
    cluster, and so does a second unrelated article quoting the same brief."""
    index.add(doc("brief", head(X, 0.3), at(9)))
    index.add_many([doc("long", f"{X} {Y}", at(10)), doc("other", f"{Z} {head(X, 0.3)}", at(11))])
    assert [index.cluster_of(d) for d in ("brief", "long", "other")] == ["brief", "long", "other"]


def test_an_earlier_original_arriving_late_joins_the_existing_cluster(index: IndexCore) -> None:
    """Cluster ids are stable: an older document added later joins rather than takes over."""
    index.add(doc("reprint", edited(A, 60), at(10)))
    index.add(doc("original", A, at(9)))
    assert index.cluster_of("original") == "reprint"


# --- joining after the add: documents related whole that LSH did not propose ----------------

STORY = text(21, 1200)
EXCERPT = head(STORY, 0.1)  # contained in STORY, at a Jaccard of about a tenth


def stored_excerpt(index: IndexCore) -> None:
    """STORY, then its EXCERPT, which LSH did not propose: it founded a cluster of its own."""
    index.add(doc("story", STORY, at(9)))
    index.add(doc("excerpt", EXCERPT, at(10)))
    assert index.cluster_of("excerpt") == "excerpt"  # the premise


def test_join_cluster_places_an_excerpt_with_the_story_it_is_contained_in(
    index: IndexCore,
) -> None:
    """Told of the story it relates to, a lone excerpt joins the story's cluster."""
    stored_excerpt(index)
    assert index.join_cluster("excerpt", ["story"]) == "story"
    assert index.cluster_members("excerpt") == ["story", "excerpt"]


def test_join_cluster_moves_the_copies_that_joined_the_excerpt_meanwhile(
    index: IndexCore,
) -> None:
    """A copy of the excerpt joined the excerpt's cluster before the join: it verifies against
    the story too, so the two join the story's cluster together."""
    stored_excerpt(index)
    index.add(doc("copy", EXCERPT, at(11)))
    assert index.cluster_of("copy") == "excerpt"  # the premise
    assert index.join_cluster("excerpt", ["story"]) == "story"
    assert index.cluster_members("story") == ["story", "excerpt", "copy"]


def test_join_cluster_does_not_move_a_document_into_an_excerpt_of_it(index: IndexCore) -> None:
    """Told of a stored excerpt it contains, a document that founded a cluster stays there:
    containing a document is not being a copy of it."""
    stored_excerpt(index)
    index.add(doc("longer", EXCERPT + " " + X, at(11)))
    assert index.join_cluster("longer", ["excerpt"]) is None
    assert index.cluster_of("longer") == "longer"


def test_join_cluster_leaves_a_member_of_another_cluster(index: IndexCore) -> None:
    """Only a canonical moves, with its cluster: a copy in the excerpt's cluster stays."""
    stored_excerpt(index)
    index.add(doc("copy", EXCERPT, at(11)))
    assert index.join_cluster("copy", ["story"]) is None
    assert index.cluster_members("excerpt") == ["excerpt", "copy"]


def test_join_cluster_verifies_against_the_canonical_not_the_related_member(
    index: IndexCore,
) -> None:
    """The chaining guard: C relates to member B only, not to B's canonical A, so it stays."""
    index.add_many([doc("a", CHAIN[0], at(9)), doc("b", CHAIN[1], at(10))])
    index.add(doc("c", CHAIN[2], at(11)))
    assert index.join_cluster("c", ["b"]) is None
    assert index.cluster_of("c") == "c"


def test_join_cluster_leaves_a_document_unrelated_to_those_named(index: IndexCore) -> None:
    """Naming documents it does not verify against moves nothing."""
    index.add_many([doc("a", A, at(9)), doc("x", X, at(10))])
    assert index.join_cluster("x", ["a", "not stored"]) is None
    assert index.cluster_of("x") == "x"


def test_join_cluster_of_a_document_not_stored_raises(index: IndexCore) -> None:
    """An unknown id is DocumentNotFoundError, as for every verb that names one."""
    with pytest.raises(DocumentNotFoundError):
        index.join_cluster("nowhere", ["a"])


def test_cluster_members_lists_the_canonical_first_then_canonical_order(
    index: IndexCore,
) -> None:
    """Members: the canonical, then earliest published, longest, smallest id."""
    index.add_many(
        [
            doc("c", A, at(12)),
            doc("late", edited(A, 70), at(14)),
            doc("short", edited(A, 60), at(13)),
            doc("long", A + " extra words", at(13)),
            doc("early", edited(A, 80), at(11)),
        ]
    )
    assert index.cluster_members("short") == ["c", "early", "long", "short", "late"]


def test_clusters_lists_clusters_of_at_least_min_size(index: IndexCore) -> None:
    """clusters() skips singletons by default and lists them with min_size=1."""
    index.add_many([doc("a", A), doc("x", X), doc("b", A)])
    assert list(index.clusters()) == [("a", ["a", "b"])]
    assert list(index.clusters(min_size=1)) == [("a", ["a", "b"]), ("x", ["x"])]


def test_removing_a_member_keeps_the_cluster(index: IndexCore) -> None:
    """Removing a non-canonical member changes no other document's cluster."""
    index.add_many([doc("a", A, at(9)), doc("b", A, at(10)), doc("c", A, at(11))])
    index.remove("b")
    assert index.cluster_members("c") == ["a", "c"]


def test_removing_a_canonical_regroups_its_members_under_the_best_ranked(
    index: IndexCore,
) -> None:
    """The members of a removed canonical form a cluster named after the best-ranked of them."""
    index.add_many([doc("a", A, at(9)), doc("c", A, at(11)), doc("b", edited(A, 60), at(10))])
    index.remove("a")
    assert index.cluster_members("c") == ["b", "c"]


def test_members_of_a_removed_canonical_that_no_longer_verify_split(index: IndexCore) -> None:
    """Two excerpts held together only by the removed canonical each found a cluster."""
    index.add_many(
        [doc("all", f"{X} {Y} {Z}", at(9)), doc("xy", X + " " + Y, at(10)), doc("yz", Y + " " + Z)]
    )
    assert index.cluster_members("yz") == ["all", "xy", "yz"]
    index.remove("all")
    assert (index.cluster_of("xy"), index.cluster_of("yz")) == ("xy", "yz")


def test_correcting_a_canonical_keeps_its_cluster(index: IndexCore) -> None:
    """An update of a canonical that still verifies against its members keeps the cluster id."""
    index.add_many([doc("a", A, at(9)), doc("b", A, at(10)), doc("c", edited(A, 90), at(11))])
    index.add(doc("a", edited(A, 100, 7), at(9)))
    assert index.cluster_members("a") == ["a", "b", "c"]


def test_a_rolled_back_removal_restores_the_clusters(index: IndexCore) -> None:
    """A canonical removed inside a failed atomic() block comes back with all its members."""
    index.add_many([doc("a", A, at(9)), doc("b", A, at(10))])
    with pytest.raises(RuntimeError), index.atomic():
        index.remove("a")
        raise RuntimeError("crash")
    assert index.cluster_members("b") == ["a", "b"]


def _family_corpus() -> list[Document]:
    """Documents in families of copies, excerpts and extensions, with shuffled dates."""
    rng = random.Random(7)
    docs = []
    for f in range(5):
        base = text(100 + f, 150)
        variants = [
            base,
            edited(base, 60),
            edited(base, 60, 30),
            head(base, 0.7),
            base + " " + text(200 + f, 40),
            edited(head(base, 0.8), 50),
        ]
        for v, body in enumerate(variants):
            hour = rng.randrange(24)
            docs.append(
                doc(f"f{f}v{v}", body, f"2024-05-0{1 + rng.randrange(3)}T{hour:02d}:00:00Z")
            )
    return docs


def _verified(docs: list[Document]) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Canonical ranks of ``docs`` and their verified pairs ``(i, j, relation code)``."""
    rank = canonical_order(
        [d.id for d in docs], [d.published for d in docs], [len(d.text) for d in docs]
    )
    fps = Fingerprinter(CONFIG).fingerprint([d.text for d in docs])
    found = []
    for i, j in itertools.combinations(range(len(docs)), 2):
        identical = fps[i].content_hash == fps[j].content_hash
        relation = Similarity.of(fps[i].shingles, fps[j].shingles).relation(0.8, identical)
        if relation is not None:
            found.append((i, j, RELATIONS.index(relation)))
    return rank, found


def _excerpts_after_containers(docs: list[Document]) -> list[Document]:
    """``docs``, each excerpt that ranks before a document containing it dated an hour after
    the latest such document (again until none does: containment never goes round)."""
    contained_in = RELATIONS.index(Relation.CONTAINED_IN)
    contains = RELATIONS.index(Relation.CONTAINS)
    while True:
        rank, found = _verified(docs)
        late: dict[int, str] = {}
        for i, j, code in found:
            if code in (contains, contained_in):
                part, whole = (i, j) if code == contained_in else (j, i)
                if rank[part] < rank[whole]:
                    late[part] = max(late.get(part, ""), docs[whole].published or "")
        if not late:
            return docs
        for k, latest in late.items():
            hour = (datetime.fromisoformat(latest) + timedelta(hours=1)).isoformat()
            docs[k] = replace(docs[k], published=hour.replace("+00:00", "Z"))


def test_adding_in_canonical_order_gives_the_batch_star_clusters(index: IndexCore) -> None:
    """Added in canonical order, the clusters equal star_clusters over all verified pairs,
    when no excerpt ranks before a document that contains it (such an excerpt, stored first,
    stays its own cluster in the index, where the batch job puts it in its container's)."""
    docs = _excerpts_after_containers(_family_corpus())
    rank, found = _verified(docs)
    left, right, codes = (np.array(column) for column in zip(*found, strict=True))
    canon = star_clusters(rank, left, right, codes)
    index.add_many(docs[i] for i in np.argsort(rank))
    assert {d.id: index.cluster_of(d.id) for d in docs} == {
        d.id: docs[canon[i]].id for i, d in enumerate(docs)
    }
    assert len(set(canon.tolist())) < len(docs)  # the corpus does cluster
