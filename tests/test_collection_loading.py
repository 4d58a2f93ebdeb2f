"""Loading sessions store exactly what Collection.load per batch stored, and all or nothing.

Each test fills two real SQLite files, one through the old path (``Collection.load`` once per
batch, what ``dedup bulk --db`` did) and one through a ``Collection.loading()`` session (what
it does now), and compares every row of every table and the verdicts of checks.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from dedup import Config, Document
from dedup.bulk import BulkOptions, run_bulk
from dedup.bulk.boilerplate import BoilerplateStage
from dedup.bulk.like_for_like import PairsAlike
from dedup.cli import main
from dedup.collection import Collection, loading
from dedup.errors import InputError
from dedup.fingerprint import FingerprintBatch, Fingerprinter
from dedup.io import read_documents
from dedup.synth import news_corpus, reuse_corpus
from dedup.types import AddOutcome

Batch = tuple[list[Document], list[Any], list[list[tuple[int, int]]] | None]


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, stderr+stdout)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def dump(path: Path) -> dict[str, Any]:
    """Every row of every table (SQLite's statistics aside), sorted, and the schema."""
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        tables: dict[str, Any] = {"schema": sorted(schema, key=repr)}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if not name.startswith("sqlite_stat"):
                tables[name] = sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr)
        return tables
    finally:
        conn.close()


def fingerprinted(docs: Sequence[Document], size: int, spans: bool = False) -> list[Batch]:
    """``docs`` in batches with their fingerprints (and made-up boilerplate spans)."""
    fingerprinter = Fingerprinter(Config())
    batches: list[Batch] = []
    for i in range(0, len(docs), size):
        part = list(docs[i : i + size])
        fps = list(fingerprinter.fingerprint([d.text for d in part]))
        found = [[(0, k % 7)] if k % 3 else [] for k in range(len(part))] if spans else None
        batches.append((part, fps, found))
    return batches


def old_path(
    collection: Collection, batches: list[Batch], entries: Sequence[Any] = ()
) -> Counter[AddOutcome]:
    outcomes: Counter[AddOutcome] = Counter()
    for docs, fps, spans in batches:
        outcomes.update(collection.load(docs, fps, spans=spans))
    collection.load([], [], entries)
    return outcomes


def new_path(
    collection: Collection, batches: list[Batch], entries: Sequence[Any] = ()
) -> Counter[AddOutcome]:
    with collection.loading() as load:
        for docs, fps, spans in batches:
            load.add(docs, fps, spans=spans)
        load.add_boilerplate(entries)
    return load.outcomes


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    """News with reprints and texts reusing passages, plus ids repeated with the same text
    (unchanged) and with another text (updated) in later batches."""
    docs = list(news_corpus(500, seed=5)) + [
        replace(d, id=f"reuse-{k}") for k, d in enumerate(reuse_corpus(seed=2)[0])
    ]
    again = [docs[3], docs[40], replace(docs[7], text=docs[7].text + " Updated."), docs[41]]
    twice = replace(docs[40], text="A different story entirely, told in other words today.")
    return docs + again + [twice, replace(docs[5], title="retitled")]


@pytest.mark.parametrize("step", [7, loading.STEP])
def test_a_session_stores_the_rows_of_load_per_batch(
    step: int, corpus: list[Document], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same rows in every table, same outcomes and same check verdicts, updates included,
    whether the session writes its documents in many steps or in one."""
    monkeypatch.setattr(loading, "STEP", step)
    batches = fingerprinted(corpus, 64, spans=True)
    with Collection.open(tmp_path / "ref.db") as ref, Collection.open(tmp_path / "new.db") as new:
        entries = ref.boilerplate.build(corpus[:50])
        expected = old_path(ref, batches, entries)
        assert new_path(new, batches, entries) == expected
        assert {AddOutcome.ADDED, AddOutcome.UPDATED, AddOutcome.UNCHANGED} <= set(expected)
        for probe in [corpus[7], corpus[100], corpus[-20], Document("p", corpus[40].text)]:
            assert new.check(probe) == ref.check(probe)
        assert new.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reference = dump(tmp_path / "ref.db")
    assert len(reference["reuse_sets"]) > 100
    assert dump(tmp_path / "new.db") == reference


@pytest.mark.parametrize("step", [30, loading.STEP])
def test_a_session_into_a_filled_collection_matches_load(
    step: int, corpus: list[Document], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading on top of stored documents (postings kept, some ids updated) matches too."""
    monkeypatch.setattr(loading, "STEP", step)
    first, rest = corpus[:200], corpus[150:]
    for name, fill in (("ref.db", old_path), ("new.db", new_path)):
        with Collection.open(tmp_path / name) as collection:
            old_path(collection, fingerprinted(first, 50))
            fill(collection, fingerprinted(rest, 70))
    assert dump(tmp_path / "new.db") == dump(tmp_path / "ref.db")


def test_a_failed_session_stores_nothing(corpus: list[Document], tmp_path: Path) -> None:
    """An exception inside the block leaves the collection as it was; the loader is done."""
    path = tmp_path / "articles.db"
    with Collection.open(path) as collection:
        old_path(collection, fingerprinted(corpus[:30], 30))
    before = dump(path)
    with Collection.open(path) as collection:
        with pytest.raises(RuntimeError), collection.loading() as load:
            for docs, fps, spans in fingerprinted(corpus[30:300], 64):
                load.add(docs, fps, spans=spans)
            raise RuntimeError("killed")
        assert not collection.in_transaction
        docs, fps, _ = fingerprinted(corpus[30:40], 10)[0]
        with pytest.raises(InputError), collection.loading() as load:
            load.add(docs, fps[:-1])  # one fingerprint short
        with pytest.raises(InputError, match="ended"):
            load.add(docs, fps)
    assert dump(path) == before


def _old_cli(corpus: Path, db: Path, strip: bool) -> None:
    """``bulk --db`` as it was: Collection.load once per ingest batch, entries at the end; then
    the documents placed as the run's clusters (Loader.place_as_run) and the pairs found
    related like for like only that it did not place, by the rule of Loader.join_verified."""
    config = Config()
    documents = lambda: read_documents([str(corpus)])  # noqa: E731

    def selected(wanted: np.ndarray) -> Iterator[tuple[int, Document]]:
        return ((k, doc) for k, doc in enumerate(documents()) if wanted[k])

    stage = BoilerplateStage(config) if strip else None
    if stage is not None:
        stage.learn(documents())
    with Collection.open(db, config) as collection:

        def store(docs: list[Document], batch: FingerprintBatch) -> None:
            spans = [stage.spans(d) for d in docs] if stage is not None else None
            collection.load(docs, list(batch), spans=spans)

        alike = PairsAlike(stage, selected, Fingerprinter(config)) if stage else None
        result = run_bulk(
            documents(),
            config,
            BulkOptions(jobs=2),
            sink=store,
            transform=stage.content if stage else None,
            exclusions=stage.spans if stage else None,
            alike=alike,
        )
        if stage is not None:
            collection.load([], [], stage.model.store.entries())
        canonicals = [result.ids[c] for c in result.canon.tolist()]
        placed = collection.index.place_as_run(dict(zip(result.ids, canonicals, strict=True)))
        for earlier, later, identical in alike.joins(result.ids) if alike else []:
            if earlier in placed and later in placed:  # the run's clusters had the pair
                continue
            cluster = collection.index.cluster_of(earlier)
            if identical or cluster == earlier:
                collection.index.join_verified(later, [cluster])


@pytest.mark.parametrize("strip", [False, True])
def test_bulk_db_stores_what_the_old_path_stored(strip: bool, tmp_path: Path) -> None:
    """``dedup bulk --db`` (a loading session) against the per-batch path, whole tables."""
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for doc in news_corpus(700, seed=9):
            handle.write(json.dumps({"id": doc.id, "text": doc.text, "source": doc.source}) + "\n")
    _old_cli(corpus, tmp_path / "ref.db", strip)
    flags = ["--strip-boilerplate"] if strip else []
    db = tmp_path / "new.db"
    code, output = run("bulk", str(corpus), "--out", str(tmp_path / "out"), "--db", str(db), *flags)
    assert code == 0, output
    assert dump(db) == dump(tmp_path / "ref.db")
    probes = list(read_documents([str(corpus)]))[::97]
    with Collection.open(db) as new, Collection.open(tmp_path / "ref.db") as ref:
        for doc in probes:
            probe = replace(doc, id="probe")
            assert new.check(probe) == ref.check(probe)
            assert new.get(doc.id) == ref.get(doc.id)


def test_bulk_db_in_a_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    """--db whose directory does not exist: exit 2 and one line naming the path."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": "one two three four five six"}) + "\n")
    db = tmp_path / "missing" / "articles.db"
    code, output = run("bulk", str(corpus), "--out", str(tmp_path / "out"), "--db", str(db))
    assert code == 2
    assert output.strip().splitlines() == [
        f"dedup: error: {db}: cannot open the database (unable to open database file)"
    ]
    assert not (tmp_path / "out").exists() and not db.parent.exists()


def test_join_clusters_places_later_documents_with_earlier_ones_and_commits(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """The bulk job's whole-text pairs LSH missed: a loaded excerpt joins its story's cluster
    (a story with members moves no more), committed with the session's last step."""
    story = "\n\n".join(long_english_articles[:6])
    docs = [Document("story", story), Document("excerpt", long_english_articles[2])]
    fps = list(Fingerprinter(Config()).fingerprint([d.text for d in docs]))
    with Collection.open(tmp_path / "c.db") as collection, collection.loading(1) as load:
        load.add(docs, fps)
        assert load.join_clusters([("story", "excerpt"), ("excerpt", "story")]) == 1
    with Collection.open(tmp_path / "c.db", readonly=True) as stored:
        assert stored.index.cluster_members("story") == ["story", "excerpt"]
