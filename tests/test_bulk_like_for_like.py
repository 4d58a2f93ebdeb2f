"""`dedup bulk --strip-boilerplate` compares pairs whose documents had different boilerplate
removed like for like (dedup.bulk.like_for_like): the same text from an outlet and from an
aggregator is a duplicate, one cluster; an article quoting the brief still only contains it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from dedup.cli import main
from dedup.collection import Collection
from tests._collection_support import OUTLET_FOOTER, outlet_post, short_story
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
