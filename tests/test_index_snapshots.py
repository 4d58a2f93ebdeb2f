"""A read of the SQLite index that takes several statements reads them from one snapshot of
the file: a writer (another connection, as in another process) that replaces or removes a
document between two of them changes nothing the read answers, instead of leaving it a row
whose handle is gone (a ``KeyError`` once, a 500 from the service)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _index_support import CONFIG, doc, edited, text, written_between

from dedup.index import SQLiteIndex

A = text(1)
B = text(2)


def test_shingles_are_those_of_the_version_whose_row_was_read(tmp_path: Path) -> None:
    """A document replaced (a new handle) between its row and its shingles being read: the
    reader gets the shingles of the version it found."""
    path = tmp_path / "i.db"
    with SQLiteIndex(path, CONFIG) as writer, SQLiteIndex(path, readonly=True) as reader:
        writer.add(doc("a", A))
        stored = reader.fingerprint_of("a").shingles
        raced = written_between(
            reader.connection, "FROM documents WHERE id IN", lambda: writer.add(doc("a", B))
        )
        found = reader.shingles(["a"])
        assert raced
        assert np.array_equal(found["a"], stored)
        assert np.array_equal(reader.shingles(["a"])["a"], writer.fingerprint_of("a").shingles)


def test_get_names_the_cluster_as_it_was_when_its_canonical_goes_meanwhile(
    tmp_path: Path,
) -> None:
    """A member's canonical removed between the member's row and its canonical's being read:
    the member is answered in the cluster it was in."""
    path = tmp_path / "i.db"
    with SQLiteIndex(path, CONFIG) as writer, SQLiteIndex(path, readonly=True) as reader:
        writer.add_many([doc("a", A), doc("b", edited(A, 60))])
        raced = written_between(reader.connection, "WHERE id = 'b'", lambda: writer.remove("a"))
        got = reader.get("b")
        assert raced
        assert got.cluster == "a"
        assert reader.get("b").cluster == "b"


def test_clusters_are_listed_as_they_stood_when_the_listing_began(tmp_path: Path) -> None:
    """A canonical removed while the clusters are listed: the listing is the one before."""
    path = tmp_path / "i.db"
    with SQLiteIndex(path, CONFIG) as writer, SQLiteIndex(path, readonly=True) as reader:
        writer.add_many(
            [doc("a", A), doc("b", edited(A, 60)), doc("c", B), doc("d", edited(B, 60))]
        )
        raced = written_between(reader.connection, "group_concat", lambda: writer.remove("a"))
        listed = list(reader.clusters())
        assert raced
        assert listed == [("a", ["a", "b"]), ("c", ["c", "d"])]
        assert list(reader.clusters()) == [("c", ["c", "d"])]
