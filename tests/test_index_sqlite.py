"""What only the SQLite index does: persist, refuse other configs, and keep its file consistent."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from _faults import adding_pairs_fails
from _index_support import CONFIG, doc, edited, text

from dedup.config import Config
from dedup.errors import ConfigMismatchError, InputError
from dedup.fingerprint import Fingerprinter
from dedup.index import SCHEMA_VERSION, SQLiteIndex, open_index
from dedup.index._bands import BandIndex
from dedup.index._inputs import CHUNK
from dedup.index.memory import MemoryIndex
from dedup.lsh import Banding
from dedup.types import Document

A = text(1)
B = text(2)


def tables(path: Path) -> dict[str, int]:
    """Row counts of the index tables, read with a separate connection."""
    with sqlite3.connect(path) as conn:
        names = ("documents", "fingerprints", "band_keys")
        return {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def test_documents_matches_and_clusters_survive_reopening(tmp_path: Path) -> None:
    """Everything stored is there again after close and reopen."""
    path = tmp_path / "index.db"
    with SQLiteIndex(path, CONFIG) as index:
        index.add_many([doc("a", A, "2024-05-01T09:00:00Z", "wire"), doc("b", edited(A, 60))])
        before = (index.similar("b"), index.get("a"), list(index.clusters()))
    with SQLiteIndex(path, CONFIG) as index:
        assert (index.similar("b"), index.get("a"), list(index.clusters())) == before


def test_opening_without_a_config_uses_the_stored_one(tmp_path: Path) -> None:
    """An existing index opened with config=None gets the config it was built with."""
    built = Config(ngram=3, num_perm=64)
    SQLiteIndex(tmp_path / "i.db", built).close()
    with SQLiteIndex(tmp_path / "i.db") as index:
        assert index.config == built


def test_opening_with_another_config_is_a_config_mismatch(tmp_path: Path) -> None:
    """A config that would fingerprint differently is refused, naming both configs."""
    SQLiteIndex(tmp_path / "i.db", CONFIG).close()
    other = Config(ngram=3)
    with pytest.raises(ConfigMismatchError) as caught:
        SQLiteIndex(tmp_path / "i.db", other)
    assert (caught.value.expected, caught.value.found) == (other.id, CONFIG.id)


def test_a_different_verify_threshold_is_not_a_mismatch(tmp_path: Path) -> None:
    """threshold is not part of the stored fingerprints, so it may change between opens."""
    SQLiteIndex(tmp_path / "i.db", CONFIG).close()
    with SQLiteIndex(tmp_path / "i.db", CONFIG.replace(threshold=0.6)) as index:
        assert index.config.threshold == 0.6


def test_a_new_file_gets_the_default_config(tmp_path: Path) -> None:
    """A new index without a config is built with Config()."""
    with SQLiteIndex(tmp_path / "i.db") as index:
        assert index.config == Config()


def test_an_index_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    """A file written with another schema version is a ConfigMismatchError, not silent garbage."""
    SQLiteIndex(tmp_path / "i.db", CONFIG).close()
    with sqlite3.connect(tmp_path / "i.db") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ConfigMismatchError, match="schema 99"):
        SQLiteIndex(tmp_path / "i.db")


def test_a_file_that_is_not_sqlite_is_an_input_error(tmp_path: Path) -> None:
    """Opening a text file as an index names the file."""
    path = tmp_path / "notes.db"
    path.write_text("these are not the pages you are looking for\n" * 200)
    with pytest.raises(InputError, match=r"notes\.db"):
        SQLiteIndex(path)


def test_an_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    """A database with tables but no meta table is not taken over."""
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(InputError, match="not a dedup index"):
        SQLiteIndex(tmp_path / "other.db")


def test_meta_records_the_schema_version_and_the_config(tmp_path: Path) -> None:
    """meta holds the schema version, the config id and the config as JSON."""
    SQLiteIndex(tmp_path / "i.db", CONFIG).close()
    with sqlite3.connect(tmp_path / "i.db") as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["config_id"] == CONFIG.id
    assert Config.from_dict(json.loads(meta["config"])) == CONFIG


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    """Readers do not block the writer: the journal mode is WAL."""
    SQLiteIndex(tmp_path / "i.db", CONFIG).close()
    with sqlite3.connect(tmp_path / "i.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fingerprints_are_stored_as_little_endian_arrays(tmp_path: Path) -> None:
    """Signature and shingle blobs are the raw little-endian uint32 and uint64 arrays."""
    fingerprint = Fingerprinter(CONFIG).fingerprint_one(A)
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add(doc("a", A), fingerprint)
    with sqlite3.connect(tmp_path / "i.db") as conn:
        signature, shingles = conn.execute(
            "SELECT signature, shingles FROM fingerprints"
        ).fetchone()
    assert signature == fingerprint.signature.astype("<u4").tobytes()
    assert shingles == fingerprint.shingles.astype("<u8").tobytes()


def test_a_documents_band_keys_are_one_row_in_band_order(tmp_path: Path) -> None:
    """Each document has one ``band_keys`` row: its uint64 band keys, little-endian."""
    fingerprint = Fingerprinter(CONFIG).fingerprint_one(A)
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add(doc("a", A), fingerprint)
    with sqlite3.connect(tmp_path / "i.db") as conn:
        rows = conn.execute("SELECT doc, keys FROM band_keys").fetchall()
    keys = Banding(CONFIG.bands, CONFIG.rows).keys(fingerprint.signature[None, :])[0]
    assert [(doc, np.frombuffer(blob, "<u8").tolist()) for doc, blob in rows] == [
        (1, keys.tolist())
    ]


def test_a_failed_batch_leaves_no_rows_in_the_file(tmp_path: Path) -> None:
    """After an exception in add_many, a fresh connection sees no document and no band row."""
    good: list[Document | str] = [doc(f"d{i}", text(i, 6)) for i in range(CHUNK + 1)]
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add(doc("keep", A))
        with pytest.raises(InputError):
            index.add_many([*good, 42])  # type: ignore[list-item]
    assert tables(tmp_path / "i.db") == {"documents": 1, "fingerprints": 1, "band_keys": 1}


def test_every_stored_document_has_all_its_band_rows(tmp_path: Path) -> None:
    """After adds, updates and removes, every non-empty document has one row of all its band
    keys, and no other document has one."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add_many([doc(f"d{i}", text(i, 30)) for i in range(20)] + [doc("empty", "...")])
        index.add_many([doc("d3", text(99, 30)), doc("d4", text(4, 30))])
        index.remove("d5")
    counts = tables(tmp_path / "i.db")
    assert counts == {"documents": 20, "fingerprints": 20, "band_keys": 19}
    with sqlite3.connect(tmp_path / "i.db") as conn:
        widths = conn.execute("SELECT DISTINCT length(keys) FROM band_keys").fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM band_keys WHERE doc NOT IN (SELECT doc FROM documents)"
        ).fetchone()
    assert widths == [(8 * CONFIG.bands,)] and orphans == (0,)


def test_a_second_connection_sees_committed_documents(tmp_path: Path) -> None:
    """Two indexes on one file: what one commits, the other finds."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        writer.add(doc("a", A))
        assert [m.id for m in reader.query(A).matches] == ["a"]


def test_band_keys_whose_pairs_could_not_be_added_are_read_again_whole(tmp_path: Path) -> None:
    """A read of the band keys adds their pairs once all are read; if that fails (memory),
    the rows are not taken as indexed, and the next query reads every row again."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        writer.add(doc("a", edited(A, 60, 1)))  # near copies of A: found through their bands
        with adding_pairs_fails(), pytest.raises(MemoryError):
            reader.query(A)
        writer.add(doc("b", edited(A, 60, 2)))
        assert sorted(m.id for m in reader.query(A).matches) == ["a", "b"]


def test_removed_documents_take_no_place_in_a_capped_bucket(tmp_path: Path) -> None:
    """A connection's band buckets are cut at the cap after the removed documents are left
    out: each removal by another connection, read between lookups, and one pending in the
    connection's own transaction, lets the next living copy in (the sorted dead handles are
    kept between lookups, and must follow every removal)."""
    path = tmp_path / "i.db"
    connection = sqlite3.connect(path, isolation_level=None)
    with SQLiteIndex(path, CONFIG) as writer, closing(connection) as conn:
        writer.add_many([doc(f"c{k}", A) for k in range(6)])  # the same band keys
        handle = dict(conn.execute("SELECT id, doc FROM documents").fetchall())
        row = conn.execute("SELECT keys FROM band_keys LIMIT 1").fetchone()
        keys = np.frombuffer(row[0], dtype="<u8").reshape(1, -1)
        bands = BandIndex()

        def bucket() -> set[int]:
            found = bands.buckets(keys, cap=2)
            return {int(h) for members in found.members for h in members}

        conn.execute("BEGIN")
        bands.read(conn)
        conn.execute("COMMIT")
        assert bucket() == {handle["c0"], handle["c1"]}
        for k in range(3):
            writer.remove(f"c{k}")
            conn.execute("BEGIN")
            bands.read(conn)
            conn.execute("COMMIT")
            assert bucket() == {handle[f"c{k + 1}"], handle[f"c{k + 2}"]}
        conn.execute("BEGIN IMMEDIATE")
        bands.begin(conn)
        bands.remove(handle["c3"])
        assert bucket() == {handle["c4"], handle["c5"]}
        conn.execute("ROLLBACK")
        bands.end()


def test_open_index_picks_the_backend_from_the_path(tmp_path: Path) -> None:
    """ ":memory:" opens a MemoryIndex, any other path an SQLiteIndex."""
    with open_index(":memory:") as memory, open_index(tmp_path / "i.db") as on_disk:
        assert (type(memory), type(on_disk)) == (MemoryIndex, SQLiteIndex)
