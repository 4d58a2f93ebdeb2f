"""A load into a collection that holds documents already (a second ``dedup bulk --db``):
an excerpt of a story stored before the load joins the story's cluster, as its post would,
although the bulk job's pairs are the run's own."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dedup import Config, Document
from dedup.cli import main
from dedup.collection import Collection
from dedup.fingerprint import Fingerprinter


def loaded(collection: Collection, *docs: Document, stored: bool) -> int:
    """``docs`` loaded in one session, then its join pass (``stored``: with the documents
    stored before the session); how many clusters moved."""
    fps = list(Fingerprinter(Config()).fingerprint([d.text for d in docs]))
    with collection.loading() as load:
        load.add(list(docs), fps)
        return load.join_clusters([], stored=stored)


def test_a_loaded_excerpt_joins_a_story_stored_before_the_load(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """The excerpt, which LSH does not propose, finds the story among its reuse candidates."""
    with Collection.open(tmp_path / "c.db") as collection:
        loaded(collection, Document("story", "\n\n".join(long_english_articles[:6])), stored=True)
        excerpt = Document("excerpt", long_english_articles[2])
        assert not collection.index.query(excerpt).matches  # the premise: LSH misses it
        assert loaded(collection, excerpt, stored=True) == 1
        assert collection.index.cluster_members("excerpt") == ["story", "excerpt"]


def test_without_stored_the_join_pass_places_by_the_runs_pairs_alone(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """A load that looked for no whole-text pairs beyond LSH (``dedup bulk`` without
    ``--excerpts`` or ``--passages``) leaves the excerpt where the add placed it."""
    with Collection.open(tmp_path / "c.db") as collection:
        loaded(collection, Document("story", "\n\n".join(long_english_articles[:6])), stored=True)
        assert loaded(collection, Document("excerpt", long_english_articles[2]), stored=False) == 0
        assert collection.index.cluster_of("excerpt") == "excerpt"


def test_a_second_bulk_db_load_with_excerpts_places_an_excerpt_as_its_post_would(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """``dedup bulk --db --excerpts`` run twice: the second run's excerpt of the first run's
    story is in the story's cluster."""
    runs = [
        {"id": "story", "text": "\n\n".join(long_english_articles[:6])},
        {"id": "excerpt", "text": long_english_articles[2]},
    ]
    db = tmp_path / "c.db"
    for k, row in enumerate(runs):
        corpus = tmp_path / f"run{k}.jsonl"
        corpus.write_text(json.dumps(row) + "\n")
        args = [str(corpus), "--out", str(tmp_path / f"out{k}"), "--db", str(db), "--excerpts"]
        result = CliRunner().invoke(main, ["bulk", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    with Collection.open(db, readonly=True) as collection:
        assert collection.get("excerpt").members == ("story", "excerpt")
