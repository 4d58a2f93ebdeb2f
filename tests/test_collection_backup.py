"""``backup``: a copy of a collection as of one commit, taken while a writer goes on, checked
page by page, and made whole or not at all; never over an existing file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from dedup import Document, InputError
from dedup.collection import Collection, backup
from dedup.errors import IndexCorruptError
from dedup.synth import news_corpus
from tests.test_cli_system_errors import dedup, refused
from tests.test_damaged_index import damage


@pytest.fixture
def source(tmp_path: Path, sample: list[Document]) -> Path:
    path = tmp_path / "live.db"
    with Collection.open(path) as collection:
        for doc in sample:
            collection.post(doc)
    return path


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if "dedup-backup" in p.name]


def test_a_backup_answers_every_document_as_its_source_does(
    source: Path, tmp_path: Path, sample: list[Document]
) -> None:
    made = backup(source, tmp_path / "copy.db")
    assert (made.path, made.documents) == (tmp_path / "copy.db", len(sample))
    assert made.bytes == (tmp_path / "copy.db").stat().st_size
    with Collection.open(source) as live, Collection.open(made.path, readonly=True) as copy:
        assert copy.config.id == live.config.id
        assert sorted(copy) == sorted(live)
        assert [copy.get(d.id) for d in sample] == [live.get(d.id) for d in sample]
    assert leftovers(tmp_path) == []


def test_backups_taken_while_a_writer_posts_each_hold_the_posts_of_one_commit(
    source: Path, tmp_path: Path, sample: list[Document]
) -> None:
    posts = [Document(f"n{d.id}", d.text, d.source) for d in news_corpus(150, seed=3)]
    done = threading.Event()
    committed = [0]

    def write() -> None:
        with Collection.open(source) as collection:
            for doc in posts:
                collection.post(doc)  # one commit each
                committed[0] += 1
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    counts: list[int] = []
    while not done.is_set() or not counts:
        floor = committed[0]
        made = backup(source, tmp_path / f"copy{len(counts)}.db")
        with Collection.open(made.path, readonly=True) as copy:
            stored = {doc_id for doc_id in copy if doc_id.startswith("n")}
            assert stored == {d.id for d in posts[: len(stored)]}  # the first k posts, whole
            assert len(stored) >= floor  # with every commit made before the backup began
            for doc_id in stored:
                assert copy.get(doc_id).length > 0
        counts.append(len(stored))
    writer.join()
    assert any(0 < k < len(posts) for k in counts), counts  # some were taken mid-way


def test_an_existing_target_is_refused_and_left_as_it_was(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    target.write_text("someone's file\n")
    with pytest.raises(InputError, match="exists already"):
        backup(source, target)
    assert target.read_text() == "someone's file\n"
    assert leftovers(tmp_path) == []


def test_a_damaged_source_is_index_corrupt_and_no_copy_is_left(
    source: Path, tmp_path: Path
) -> None:
    damage(source, "fingerprints")
    with pytest.raises(IndexCorruptError) as raised:
        backup(source, tmp_path / "copy.db")
    assert raised.value.path == str(source)
    assert not (tmp_path / "copy.db").exists()
    assert leftovers(tmp_path) == []


def test_a_source_that_is_no_collection_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InputError):
        backup(other, tmp_path / "copy.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_the_command_says_what_it_copied(source: Path, tmp_path: Path) -> None:
    code, stderr = dedup("backup", str(tmp_path / "copy.db"), "--db", str(source))
    assert code == 0, stderr
    assert stderr.startswith("dedup: backed up 10 documents (0.")
    assert stderr.rstrip().endswith(", every page checked")


def test_the_command_refuses_a_damaged_source_in_one_line(source: Path, tmp_path: Path) -> None:
    damage(source, "fingerprints")
    lines = refused("backup", str(tmp_path / "copy.db"), "--db", str(source))
    assert len(lines) == 1
    assert lines[0].startswith(f"dedup: error: {source}: the index file is damaged (")
    assert not (tmp_path / "copy.db").exists()
