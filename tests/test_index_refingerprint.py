"""The Index contract for a stored document fingerprinted anew, run against both backends: a
collection does it once the document's boilerplate is learned (same text, another fingerprint)."""

from __future__ import annotations

import pytest
from _index_support import CONFIG, doc, edited, text

from dedup.errors import DocumentNotFoundError, InputError
from dedup.fingerprint import Fingerprint, Fingerprinter
from dedup.index import IndexCore

A = text(1)
B = text(2)


def fingerprint(text: str) -> Fingerprint:
    return Fingerprinter(CONFIG).fingerprint_one(text)


def test_the_fingerprint_it_has_changes_nothing(index: IndexCore) -> None:
    """Its own fingerprint again: False, and it stays where it was."""
    index.add(doc("a", A))
    index.add(doc("b", edited(A, 60)))
    assert index.refingerprint(doc("b", edited(A, 60)), fingerprint(edited(A, 60))) is False
    assert index.cluster_of("b") == "a"


def test_a_member_fingerprinted_as_another_text_leaves_its_cluster(index: IndexCore) -> None:
    """Placed again by its new fingerprint: it no longer joins the copy it was like."""
    index.add(doc("a", A))
    index.add(doc("b", edited(A, 60)))
    assert index.refingerprint(doc("b", edited(A, 60)), fingerprint(B)) is True
    assert (index.cluster_of("b"), index.cluster_members("a")) == ("b", ["a"])
    assert [m.id for m in index.query(B).matches] == ["b"]


def test_a_member_fingerprinted_like_a_canonical_joins_it(index: IndexCore) -> None:
    """Placed again by its new fingerprint: it joins the cluster it now verifies against."""
    index.add(doc("a", A))
    index.add(doc("b", B))
    assert index.refingerprint(doc("b", B), fingerprint(edited(A, 60))) is True
    assert index.cluster_of("b") == "a"


def test_a_canonical_fingerprinted_anew_leaves_its_members_placed_again(
    index: IndexCore,
) -> None:
    """The members it leaves behind are placed again, as when a canonical is updated."""
    index.add(doc("a", A))
    index.add(doc("b", edited(A, 60)))
    index.add(doc("c", edited(A, 60, offset=30)))
    index.refingerprint(doc("a", A), fingerprint(B))
    assert index.cluster_of("a") == "a"
    assert index.cluster_members("b") == ["b", "c"]


def test_metadata_and_text_are_kept(index: IndexCore) -> None:
    """Only the fingerprint changes: the stored metadata and length stay."""
    index.add(doc("a", A, "2024-05-01T09:00:00Z", "wire", "Title"))
    before = index.get("a")
    index.refingerprint(doc("a", A, "2024-05-01T09:00:00Z", "wire", "Title"), fingerprint(B))
    after = index.get("a")
    assert (after.source, after.published, after.title, after.length) == (
        before.source,
        before.published,
        before.title,
        before.length,
    )


def test_another_version_than_the_stored_one_is_refused(index: IndexCore) -> None:
    """A text or metadata other than the stored ones is an update, not a new fingerprint."""
    index.add(doc("a", A, source="wire"))
    with pytest.raises(InputError, match="not the stored version"):
        index.refingerprint(doc("a", A, source="other"), fingerprint(B))
    with pytest.raises(InputError, match="not the stored version"):
        index.refingerprint(doc("a", B, source="wire"), fingerprint(B))


def test_an_id_not_stored_is_not_found(index: IndexCore) -> None:
    """Only a stored document can be fingerprinted anew."""
    with pytest.raises(DocumentNotFoundError):
        index.refingerprint(doc("a", A), fingerprint(A))
