"""IndexCore.join_verified: a stored document placed by the add rule with canonicals its caller
verified (like for like, :mod:`dedup.collection.like_for_like`), on both backends."""

from __future__ import annotations

from _index_support import at, doc, edited, text

from dedup.index import IndexCore

A, B = text(21), text(22)


def test_a_lone_document_joins_the_named_canonical(index: IndexCore) -> None:
    """Its fingerprint relates it to nothing; the caller's word places it."""
    index.add_many([doc("a", A, at(9)), doc("b", B, at(10))])
    assert index.join_verified("b", ["a"]) == "a"
    assert (index.cluster_of("b"), index.cluster_members("a")) == ("a", ["a", "b"])


def test_a_member_moves_only_to_a_better_ranked_canonical(index: IndexCore) -> None:
    """A copy placed in a cluster by its fingerprint goes to the named canonical only if that
    ranks first (earlier published), as the add rule picks among verified canonicals."""
    index.add_many([doc("a", A, at(9)), doc("copy", edited(A, 60), at(11)), doc("b", B, at(10))])
    assert index.cluster_of("copy") == "a"
    assert index.join_verified("copy", ["b"]) is None
    assert index.cluster_of("copy") == "a"
    index.add(doc("early", text(23), at(8)))
    assert index.join_verified("copy", ["early"]) == "early"
    assert index.cluster_of("copy") == "early"


def test_a_canonical_that_others_joined_stays(index: IndexCore) -> None:
    """Moving it would leave its members with a canonical that is not one."""
    index.add_many([doc("a", A, at(9)), doc("copy", edited(A, 60), at(11)), doc("b", B, at(8))])
    assert index.join_verified("a", ["b"]) is None
    assert (index.cluster_of("a"), index.cluster_of("copy")) == ("a", "a")


def test_a_named_member_is_not_a_canonical_to_join(index: IndexCore) -> None:
    """The chaining guard stays the caller's: only canonicals are joined."""
    index.add_many([doc("a", A, at(9)), doc("copy", edited(A, 60), at(11)), doc("b", B, at(10))])
    assert index.join_verified("b", ["copy"]) is None
    assert index.cluster_of("b") == "b"
