"""`dedup bulk --strip-boilerplate` compares pairs whose documents had different boilerplate
removed like for like (dedup.bulk.like_for_like): the same text from an outlet and from an
aggregator is a duplicate, one cluster; an article quoting the brief still only contains it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.collection import Collection
from tests._collection_support import OUTLET_FOOTER, outlet_post, short_story
from tests._index_support import text
from tests.conftest import read_jsonl, write_jsonl


def _bulk(
    tmp_path: Path, extra: list[dict[str, str]], *options: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Pairs and clusters (id -> canonical) of a stripped run over four stories of an outlet
    (its footer boilerplate there), published on May 1-4, and ``extra``."""
    records = [
        {"id": d.id, "text": d.text, "source": str(d.source), "published": f"2024-05-0{n + 1}"}
        for n, d in enumerate(outlet_post(n, "ledger") for n in range(4))
    ]
    write_jsonl(tmp_path / "in.jsonl", records + extra)
    out = tmp_path / "out"
    args = ["bulk", str(tmp_path / "in.jsonl"), "--out", str(out), "--strip-boilerplate", *options]
    result = CliRunner().invoke(main, [*args, "--jobs", "1", "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    clusters = {r["id"]: r["cluster"] for r in read_jsonl(out / "clusters.jsonl")}
    return read_jsonl(out / "pairs.jsonl"), clusters


def _relations(pairs: list[dict[str, Any]]) -> dict[frozenset[str], str]:
    return {frozenset((p["a"], p["b"])): p["relation"] for p in pairs}


def copy_of_the_fourth() -> dict[str, str]:
    """The outlet's fourth story, footer included, from an aggregator a day later."""
    text = outlet_post(3, "ledger").text
    return {"id": "agg", "text": text, "source": "aggregator", "published": "2024-05-05"}


def test_the_same_text_from_an_aggregator_is_a_duplicate(tmp_path: Path) -> None:
    """A duplicate pair (was contained_in: the footer cut from one side only)."""
    pairs, _ = _bulk(tmp_path, [copy_of_the_fourth()])
    assert _relations(pairs) == {frozenset(("ledger-3", "agg")): "duplicate"}


def test_the_original_is_the_canonical_of_its_copy(tmp_path: Path) -> None:
    """Published first, the outlet's story is the canonical; as contained_in, it had waited
    for its container and become a member of the aggregator's copy."""
    _, clusters = _bulk(tmp_path, [copy_of_the_fourth()])
    assert (clusters["ledger-3"], clusters["agg"]) == ("ledger-3", "ledger-3")


def test_an_article_quoting_the_brief_with_its_footer_still_contains_it(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """An aggregator's long article quoting the fourth story, the outlet's footer at its end:
    compared like for like it contains the story, as before, not a copy of it (found by the
    sampled candidates: LSH seldom proposes a brief and a long article)."""
    paragraphs = long_english_articles[0].split("\n\n")
    paragraphs.insert(len(paragraphs) // 2, short_story(3))
    long = {"id": "long", "text": "\n\n".join([*paragraphs, OUTLET_FOOTER]), "source": "agg"}
    pairs, _ = _bulk(tmp_path, [long], "--excerpts")
    relation = _relations(pairs)[frozenset(("ledger-3", "long"))]
    assert relation in ("contains", "contained_in")


def test_a_db_load_places_the_same_text_in_one_cluster(tmp_path: Path) -> None:
    """With --db the documents are placed by their fingerprints as they are loaded, then the
    aggregator's copy joins its twin's cluster, as in clusters.jsonl."""
    _bulk(tmp_path, [copy_of_the_fourth()], "--db", str(tmp_path / "c.db"))
    with Collection.open(tmp_path / "c.db") as collection:
        assert collection.get("agg").cluster == "ledger-3"


def test_a_db_load_places_two_aggregators_copies_with_the_original(tmp_path: Path) -> None:
    """The second copy joined the first by their fingerprints (both kept the footer), so the
    first could not move while the second was with it; the joins run again once it left."""
    second = {**copy_of_the_fourth(), "id": "agg2", "source": "aggregator2"}
    _bulk(tmp_path, [copy_of_the_fourth(), second], "--db", str(tmp_path / "c.db"))
    with Collection.open(tmp_path / "c.db") as collection:
        assert collection.get("ledger-3").members == ("ledger-3", "agg", "agg2")


def excerpt_records(long_english_articles: list[str]) -> list[dict[str, str]]:
    """The outlet's long story (May 5) and an aggregator's copy of its first paragraph with the
    outlet's footer kept (May 6): LSH does not propose the pair, the sampled candidates do."""
    story = f"{long_english_articles[0]}\n\n{OUTLET_FOOTER}"
    first = long_english_articles[0].split("\n\n")[0]
    return [
        {"id": "story", "text": story, "source": "ledger", "published": "2024-05-05"},
        {"id": "excerpt", "text": f"{first}\n\n{OUTLET_FOOTER}", "source": "aggregator"},
    ]


@pytest.mark.parametrize("option", ["--excerpts", "--passages"])
def test_an_excerpt_that_kept_the_footer_is_one_of_its_story(
    tmp_path: Path, long_english_articles: list[str], option: str
) -> None:
    """Like for like the sampled pair is an excerpt and its story, in the story's cluster (as
    fingerprinted it reached no relation: not a pair, or one that shares passages)."""
    pairs, clusters = _bulk(tmp_path, excerpt_records(long_english_articles), option)
    assert _relations(pairs)[frozenset(("story", "excerpt"))] == "contains"
    assert clusters["excerpt"] == "story"


def test_a_db_load_answers_a_get_as_pairs_jsonl(tmp_path: Path) -> None:
    """A brief of 15 words and an aggregator's copy, the footer kept (LSH does not propose
    them): a duplicate pair, and a get of the copy from the --db collection says so too."""
    body = f"{text(500, 15)}.\n\n{OUTLET_FOOTER}"
    records = [
        {"id": "brief", "text": body, "source": "ledger", "published": "2024-05-05"},
        {"id": "agg", "text": body, "source": "aggregator", "published": "2024-05-06"},
    ]
    pairs, _ = _bulk(tmp_path, records, "--excerpts", "--db", str(tmp_path / "c.db"))
    assert _relations(pairs)[frozenset(("brief", "agg"))] == "duplicate"
    with Collection.open(tmp_path / "c.db") as collection:
        assert [(m.id, m.relation) for m in collection.get("agg").matches] == [
            ("brief", "duplicate")
        ]
        assert collection.get("agg").cluster == "brief"
