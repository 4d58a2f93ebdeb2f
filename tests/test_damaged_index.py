"""A damaged index file: pages overwritten by something other than SQLite (a copy taken while it
was written, a failing disk). Whatever meets a damaged page, a read or a write, fails with
IndexCorruptError naming the file, and stores nothing; the command line says so in one line
with exit code 2, the service answers 500 ``index-damaged`` as problem details (or refuses to
start, in one line)."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from dedup.errors import IndexCorruptError
from tests.service_support import serving, settings
from tests.test_cli_system_errors import refused
from tests.test_service_metrics import labels, scrape

DAMAGED = "urn:dedup:problem:index-damaged"


def damage(path: Path, table: str) -> None:
    """Overwrite the first page of ``table`` in the file (its b-tree's root) with garbage."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root[0] - 1) * page_size)
        handle.write(b"\xab" * page_size)


@pytest.fixture
def damaged(tmp_path: Path, sample: list[Document]) -> Path:
    """A collection of three sample articles whose stored texts' root page is garbage (the
    rest of the file is sound: it opens, counts and finds documents)."""
    path = tmp_path / "articles.db"
    with Collection.open(path) as collection:
        for doc in sample[:3]:
            collection.post(doc)
    damage(path, "texts")
    return path


def test_reading_a_damaged_page_is_index_corrupt_naming_the_file(
    damaged: Path, sample: list[Document]
) -> None:
    with Collection.open(damaged, readonly=True) as collection:
        assert len(collection) == 3
        with pytest.raises(IndexCorruptError) as raised:
            collection.get(sample[0].id)
    assert raised.value.path == str(damaged)
    assert "malformed" in str(raised.value)


def test_a_post_that_meets_a_damaged_page_stores_nothing(
    damaged: Path, sample: list[Document]
) -> None:
    with Collection.open(damaged) as collection:
        with pytest.raises(IndexCorruptError):
            collection.post(sample[3])
        assert sample[3].id not in collection
        assert len(collection) == 3


def test_the_boilerplate_model_of_a_damaged_collection_raises_index_corrupt(
    damaged: Path,
) -> None:
    """The model a collection hands out reads the file outside the collection's verbs: its
    reads translate SQLite's errors too, and the damaged file still closes."""
    damage(damaged, "bp_occurrences")
    with (
        Collection.open(damaged, readonly=True) as collection,
        pytest.raises(IndexCorruptError) as raised,
    ):
        collection.boilerplate.patterns()
    assert raised.value.path == str(damaged)


def test_listing_the_ids_of_a_damaged_collection_raises_index_corrupt(damaged: Path) -> None:
    damage(damaged, "documents")
    with Collection.open(damaged, readonly=True) as collection, pytest.raises(IndexCorruptError):
        list(collection)


def test_the_damaged_file_error_crosses_a_pipe_as_itself() -> None:
    crossed = pickle.loads(pickle.dumps(IndexCorruptError("/data/a.db", "malformed")))
    assert isinstance(crossed, IndexCorruptError)
    assert (crossed.path, crossed.detail) == ("/data/a.db", "malformed")


def damaged_file_line(path: Path) -> str:
    return f"dedup: error: {path}: the index file is damaged (database disk image is malformed)"


def test_bulk_into_a_damaged_file_is_one_line_and_exit_2(damaged: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"id": "x", "text": "A new article, stored nowhere."}) + "\n")
    out = tmp_path / "out"
    lines = refused("bulk", str(corpus), "--quiet", "--out", str(out), "--db", str(damaged))
    assert lines == [
        damaged_file_line(damaged) + "; nothing was written: restore a copy of it, or build it "
        "again with dedup bulk --db"
    ]
    assert not out.exists()


async def test_the_service_answers_500_index_damaged_from_its_reader_and_writer_processes(
    damaged: Path, tmp_path: Path, sample: list[Document]
) -> None:
    processes = settings(tmp_path, db=str(damaged), reader_mode="process", writer_mode="process")
    async with serving(processes) as client:
        read = await client.get(f"/v1/documents/{sample[0].id}")
        posted = await client.post("/v1/documents", json={"id": "x", "text": sample[3].text})
        for response in (read, posted):
            problem = await response.json(content_type=None)
            assert response.status == 500
            assert response.content_type == "application/problem+json"
            assert problem["type"] == DAMAGED
            assert str(damaged) not in problem["detail"]
        assert (await client.get("/v1/documents/x")).status == 404
        counted = await scrape(client)
        assert counted[("dedup_http_problems_total", labels(type="index-damaged"))] == 2
        assert counted[("dedup_http_problems_total", labels(type="not-found"))] == 1


def test_serve_on_a_file_damaged_where_a_start_reads_is_one_line_and_exit_2(
    damaged: Path,
) -> None:
    damage(damaged, "band_keys")  # read whole as the service starts
    lines = refused("serve", "--db", str(damaged), "--port", "0")
    assert lines[-1].startswith(damaged_file_line(damaged))
    assert not any("Traceback" in line for line in lines)


def test_strip_against_a_damaged_collection_is_one_line_and_exit_2(
    damaged: Path, tmp_path: Path
) -> None:
    damage(damaged, "bp_occurrences")  # what the stored boilerplate model reads
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"id": "x", "text": "An article.\n\nSubscribe now."}) + "\n")
    out = tmp_path / "stripped.jsonl"
    lines = refused("strip", str(corpus), "--out", str(out), "--db", str(damaged))
    assert lines[-1].startswith(damaged_file_line(damaged))
    assert not any("Traceback" in line for line in lines)
    assert not out.exists()
