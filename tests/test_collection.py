"""The online path: a Collection in a real SQLite file, posted to and checked one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Config, ConfigMismatchError, Document, DocumentNotFoundError
from dedup.collection import Collection, ReadOnlyError
from dedup.errors import InputError
from dedup.synth import reuse_corpus
from tests._collection_support import FOOTERS


def test_first_post_is_new_and_stored(collection: Collection, sample: list[Document]) -> None:
    """An article nothing resembles is new, and is stored."""
    verdict = collection.post(sample[0])
    assert (verdict.status, verdict.stored, verdict.duplicate_of) == ("new", "added", None)
    assert sample[0].id in collection and len(collection) == 1


def test_same_text_under_another_id_is_a_duplicate(
    collection: Collection, sample: list[Document]
) -> None:
    """A copy under a new id is a duplicate of the stored article."""
    collection.post(sample[0])
    verdict = collection.post(Document("copy", sample[0].text))
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", sample[0].id)
    assert verdict.matches[0].relation == "duplicate"


def test_reposting_the_same_id_and_text_changes_nothing(
    collection: Collection, sample: list[Document]
) -> None:
    """Posting the same id and text again is a no-op answered as a duplicate of itself."""
    collection.post(sample[0])
    verdict = collection.post(sample[0])
    assert (verdict.status, verdict.duplicate_of, verdict.stored) == (
        "duplicate",
        sample[0].id,
        "unchanged",
    )
    assert len(collection) == 1


def test_a_check_of_a_stored_document_answers_what_its_repost_answers(
    collection: Collection, sample: list[Document]
) -> None:
    """A check is a post that stores nothing: for the stored id and text, a duplicate of itself;
    for the stored id with another text, what an update would answer."""
    collection.post(sample[0])
    checked = collection.check(sample[0])
    assert (checked.status, checked.duplicate_of, checked.stored) == (
        "duplicate",
        sample[0].id,
        None,
    )
    assert checked.matches == collection.post(sample[0]).matches
    assert collection.check(Document(sample[0].id, sample[1].text)).status == "new"


def test_same_id_with_new_text_is_an_update(collection: Collection, sample: list[Document]) -> None:
    """Posting a stored id with another text replaces the stored article."""
    collection.post(sample[0])
    verdict = collection.post(Document(sample[0].id, sample[1].text))
    assert verdict.stored == "updated" and len(collection) == 1
    assert collection.check(Document("probe", sample[1].text)).duplicate_of == sample[0].id


def test_check_stores_nothing(collection: Collection, sample: list[Document]) -> None:
    """A check answers like a post but leaves the collection as it was."""
    verdict = collection.check(sample[0])
    assert verdict.status == "new" and verdict.stored is None
    assert len(collection) == 0


def test_strip_uses_the_stored_corpus(collection: Collection, sample: list[Document]) -> None:
    """strip() removes what the stored articles show to be boilerplate."""
    for doc in sample:
        collection.post(doc)
    text = "A brand new story about something else entirely.\n\n" + "\n\n".join(FOOTERS)
    stripped = collection.strip(text)
    assert stripped.text == "A brand new story about something else entirely."
    assert [text[s:e] for s, e in stripped.removed] == list(FOOTERS)


def test_everything_survives_reopening(tmp_path: Path, sample: list[Document]) -> None:
    """Documents, texts, boilerplate and clusters are still there after closing the file."""
    with Collection.open(tmp_path / "a.db") as articles:
        for doc in sample:
            articles.post(doc)
    with Collection.open(tmp_path / "a.db") as again:
        assert len(again) == 10
        assert again.check(Document("x", sample[3].text)).duplicate_of == sample[3].id
        assert len(again.check(sample[0]).boilerplate) == 2


def test_readonly_collection_reads_but_refuses_writes(
    tmp_path: Path, sample: list[Document]
) -> None:
    """A read-only instance answers checks and refuses posts and deletes."""
    with Collection.open(tmp_path / "a.db") as writer:
        writer.post(sample[0])
        with Collection.open(tmp_path / "a.db", readonly=True) as reader:
            assert reader.check(Document("x", sample[0].text)).status == "duplicate"
            with pytest.raises(ReadOnlyError):
                reader.post(sample[1])
            with pytest.raises(ReadOnlyError):
                reader.delete(sample[0].id)


def test_reader_sees_what_the_writer_committed(tmp_path: Path, sample: list[Document]) -> None:
    """A reader opened before a post sees the post once it is committed (WAL)."""
    with (
        Collection.open(tmp_path / "a.db") as writer,
        Collection.open(tmp_path / "a.db", readonly=True) as reader,
    ):
        writer.post(sample[0])
        assert reader.check(Document("x", sample[0].text)).duplicate_of == sample[0].id


def test_delete_forgets_the_document_everywhere(
    collection: Collection, sample: list[Document]
) -> None:
    """After delete, the article matches nothing and is gone from every table."""
    collection.post(sample[0])
    collection.delete(sample[0].id)
    assert len(collection) == 0
    assert collection.check(Document("x", sample[0].text)).status == "new"
    conn = collection.connection
    for table in ("texts", "reuse_sets", "bp_documents", "bp_occurrences", "bp_carriers"):
        column = "doc_id" if table.startswith("bp_") else "id"
        count = conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (sample[0].id,))
        assert count.fetchone()[0] == 0


def test_deleting_an_unknown_id_is_an_error(collection: Collection) -> None:
    """delete() of an id that is not stored raises DocumentNotFoundError."""
    with pytest.raises(DocumentNotFoundError):
        collection.delete("nope")


def test_a_file_built_with_other_settings_is_refused(tmp_path: Path) -> None:
    """Opening a collection with a different config than it was built with is an error."""
    Collection.open(tmp_path / "a.db").close()
    with pytest.raises(ConfigMismatchError):
        Collection.open(tmp_path / "a.db", Config(ngram=3))


def test_a_failed_post_stores_nothing(collection: Collection, sample: list[Document]) -> None:
    """If storing fails half-way, no table keeps any part of the document."""
    collection.post(sample[0])
    collection.connection.execute("DROP TABLE reuse_sets")  # make the post fail midway
    with pytest.raises(Exception, match="reuse_sets"):
        collection.post(sample[1])
    assert sample[1].id not in collection
    rows = collection.connection.execute(
        "SELECT count(*) FROM texts WHERE id = ?", (sample[1].id,)
    ).fetchone()
    assert rows[0] == 0


def test_a_file_written_under_other_boilerplate_rules_is_refused(tmp_path: Path) -> None:
    """Stored paragraph keys from other boilerplate or reuse settings are not mixed in."""
    with Collection.open(tmp_path / "a.db") as articles:
        articles.connection.execute(
            "UPDATE meta SET value = replace(value, '\"min_documents\": 3', '\"min_documents\": 9')"
            " WHERE key = 'collection'"
        )
    with pytest.raises(ConfigMismatchError):
        Collection.open(tmp_path / "a.db")


def test_group_commit_keeps_posts_whose_neighbours_fail(
    tmp_path: Path, sample: list[Document]
) -> None:
    """Posts in one transaction see each other; a failing one is rolled back alone."""
    path = tmp_path / "articles.db"
    with Collection.open(path) as collection, collection.transaction():
        collection.post(sample[0])
        with pytest.raises(InputError), collection.transaction():
            collection.post(sample[1])
            raise InputError("a bad post")
        again = collection.post(Document("copy", sample[0].text))
        assert again.duplicate_of == sample[0].id
        with Collection.open(path, readonly=True) as other:
            assert len(other) == 0  # nothing is committed yet
    with Collection.open(path, readonly=True) as other:
        assert sorted(other) == sorted([sample[0].id, "copy"])


def test_a_savepoint_journal_in_memory_still_rolls_a_failing_batch_back_alone(
    tmp_path: Path, sample: list[Document]
) -> None:
    """A writer's savepoint journal kept in memory (temporary storage in memory) restores
    every page a failing savepoint changed, and the file stays whole."""
    path = tmp_path / "articles.db"
    with Collection.open(path) as collection:
        collection.journal_savepoints_in_memory()
        assert collection.connection.execute("PRAGMA temp_store").fetchone()[0] == 2
        with collection.transaction():
            collection.post(sample[0])
            with pytest.raises(InputError), collection.transaction():
                for doc in sample[1:]:
                    collection.post(doc)
                raise InputError("a bad batch")
            collection.post(sample[1])
        assert collection.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Collection.open(path, readonly=True) as other:
        assert sorted(other) == sorted([sample[0].id, sample[1].id])
        assert other.check(sample[2]).status == "new"


def test_a_post_answers_what_a_check_just_before_it_answers(tmp_path: Path) -> None:
    """Passages are found after the post is stored, yet its own stored shingles count for
    nothing: the matches, reuse included, equal those of a check of the same document."""
    docs, _ = reuse_corpus(seed=5)
    with Collection.open(tmp_path / "a.db") as collection:
        shared = 0
        for doc in docs[:40]:
            checked = collection.check(doc)
            posted = collection.post(doc)
            assert posted.matches == checked.matches
            shared += any(m.relation == "shares_passages" for m in posted.matches)
        assert shared  # the corpus has reuse found through the postings
