"""Where ``dedup bulk --db`` places documents: the collection's clusters agree with
``clusters.jsonl`` for the run's own documents, and documents of a load relate to those stored
before it as their posts would (like for like where boilerplate was removed apart)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.collection import Collection
from tests._collection_support import outlet_post
from tests.conftest import read_jsonl, write_jsonl


def _bulk(tmp_path: Path, records: list[dict[str, str]], *options: str) -> dict[str, str]:
    """``dedup bulk --db`` of ``records`` into ``tmp_path/c.db``; clusters.jsonl (id -> cluster)."""
    write_jsonl(tmp_path / "in.jsonl", records)
    out, db = tmp_path / "out", tmp_path / "c.db"
    args = ["bulk", str(tmp_path / "in.jsonl"), "--out", str(out), "--db", str(db), *options]
    result = CliRunner().invoke(main, [*args, "--jobs", "1", "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {r["id"]: r["cluster"] for r in read_jsonl(out / "clusters.jsonl")}


def _outlet(source: str, month: str) -> list[dict[str, str]]:
    """Four stories of an outlet with its footer (boilerplate there), published on days 1-4."""
    return [
        {"id": d.id, "text": d.text, "source": source, "published": f"2024-{month}-0{n + 1}"}
        for n, d in enumerate(outlet_post(n, source) for n in range(4))
    ]


def test_a_story_loaded_before_its_earlier_dated_copies_is_in_their_cluster(
    tmp_path: Path,
) -> None:
    """The story (its footer cut) is loaded before two aggregators' copies that kept the footer
    and are dated earlier: the first copy founded a cluster the second joined, and the story,
    ranked after them, could neither join them nor be joined; it is one cluster now, as in
    clusters.jsonl (whose canonical, seeing every pair at once, may be another of the three)."""
    story = outlet_post(7, "ledger")
    copies = [
        {"id": f"agg{j}", "text": story.text, "source": f"agg{j}", "published": f"2024-01-{20 - j}"}
        for j in range(2)
    ]
    records = _outlet("ledger", "01")
    records.insert(
        2, {"id": story.id, "text": story.text, "source": "ledger", "published": "2024-01-25"}
    )
    records[4:4] = copies
    clusters = _bulk(tmp_path, records, "--strip-boilerplate")
    assert len({clusters[i] for i in ("ledger-7", "agg0", "agg1")}) == 1  # the premise
    with Collection.open(tmp_path / "c.db") as collection:
        members = collection.get("ledger-7").members
    assert sorted(members) == ["agg0", "agg1", "ledger-7"]


@pytest.mark.parametrize("strip", [True, False])
def test_a_second_load_places_a_copy_of_a_stored_post_with_it(tmp_path: Path, strip: bool) -> None:
    """The outlet's posts taught the collection its footer, so its fourth story is stored
    without it; the same text loaded later by ``dedup bulk --db`` (the run not knowing the
    footer: it keeps it) is in that story's cluster, where a post of it would go."""
    with Collection.open(tmp_path / "c.db") as collection:
        for n in range(4):
            collection.post(replace(outlet_post(n, "B"), published=f"2024-02-1{n}"))
        twin = replace(outlet_post(3, "B"), id="KB3", published="2024-03-01")
        assert collection.check(twin).duplicate_of == "B-3"  # the premise
    row = {"id": "KB3", "text": twin.text, "source": "B", "published": "2024-03-01"}
    other = {"id": "other", "text": "An unrelated short note about the weather in the north."}
    _bulk(tmp_path, [row, other], *(["--strip-boilerplate"] if strip else []))
    with Collection.open(tmp_path / "c.db") as collection:
        assert collection.get("KB3").cluster == "B-3"
