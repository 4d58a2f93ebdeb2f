"""A ``dedup bulk --db`` collection's clusters do not depend on the input's line order: the
run's own documents are placed as ``clusters.jsonl`` places them (by a tester: loaded in
reverse order, a reprint became its original's canonical and an excerpt stayed alone)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.collection import Collection
from dedup.config import Config
from dedup.fingerprint import Fingerprinter
from dedup.types import Document
from tests.conftest import read_jsonl, write_jsonl


def _story_records() -> dict[str, dict[str, str]]:
    """An original, a reprint with an edited ending, and an excerpt of its first two thirds."""
    rng = random.Random(1)
    words = ["".join(rng.choice("abcdefghijklmnop") for _ in range(6)) for _ in range(3000)]
    story = " ".join(rng.choice(words) for _ in range(400))
    texts = {
        "original": story,
        "reprint": story.replace(words[0], "X")[:-40] + " edited ending",
        "excerpt": story[: len(story) * 2 // 3],
    }
    hours = {"original": "08", "reprint": "12", "excerpt": "18"}
    return {
        k: {"id": k, "published": f"2024-05-01T{hours[k]}:00:00Z", "text": texts[k]} for k in texts
    }


def _bulk(
    tmp_path: Path, name: str, records: list[dict[str, str]], *options: str
) -> dict[str, str]:
    """``dedup bulk --db tmp_path/c.db`` of ``records``; clusters.jsonl (id -> cluster)."""
    write_jsonl(tmp_path / f"{name}.jsonl", list(records))
    out, db = tmp_path / name, tmp_path / "c.db"
    args = ["bulk", str(tmp_path / f"{name}.jsonl"), "--out", str(out), "--db", str(db)]
    result = CliRunner().invoke(
        main, [*args, *options, "--jobs", "1", "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {str(r["id"]): str(r["cluster"]) for r in read_jsonl(out / "clusters.jsonl")}


def _collection_clusters(tmp_path: Path, ids: list[str]) -> dict[str, str]:
    with Collection.open(tmp_path / "c.db") as collection:
        return {doc_id: collection.get(doc_id).cluster for doc_id in ids}


@pytest.mark.parametrize("options", [(), ("--excerpts",), ("--commit-every", "1")])
@pytest.mark.parametrize(
    "order", [["original", "reprint", "excerpt"], ["excerpt", "reprint", "original"]]
)
def test_a_fresh_collection_has_the_clusters_of_clusters_jsonl_whatever_the_line_order(
    tmp_path: Path, order: list[str], options: tuple[str, ...]
) -> None:
    """Loaded in date order or in reverse, the three are one cluster around the original in
    the collection, as in clusters.jsonl."""
    records = _story_records()
    clusters = _bulk(tmp_path, "run", [records[k] for k in order], *options)
    assert clusters["reprint"] == "original"  # the premise
    assert _collection_clusters(tmp_path, order) == clusters


def test_a_second_loads_own_documents_are_placed_as_in_its_clusters_jsonl(tmp_path: Path) -> None:
    """Loaded in reverse order into a file that holds an unrelated document already, the
    load's reprint joins its original, as clusters.jsonl has it."""
    other = {"id": "other", "text": "An unrelated short note about the weather in the north."}
    _bulk(tmp_path, "first", [other])
    records = _story_records()
    order = ["reprint", "original"]
    clusters = _bulk(tmp_path, "second", [records[k] for k in order])
    assert clusters == {"reprint": "original", "original": "original"}  # the premise
    assert _collection_clusters(tmp_path, [*order, "other"]) == {**clusters, "other": "other"}


def test_a_document_stored_before_the_load_keeps_its_cluster(tmp_path: Path) -> None:
    """The reprint is stored by a first load; a second load of the original, dated earlier,
    joins the reprint's cluster (stored documents do not move), though its own clusters.jsonl
    names it a canonical."""
    records = _story_records()
    _bulk(tmp_path, "first", [records["reprint"]])
    clusters = _bulk(tmp_path, "second", [records["original"]])
    assert clusters == {"original": "original"}  # the premise
    assert _collection_clusters(tmp_path, ["original", "reprint"]) == {
        "original": "reprint",
        "reprint": "reprint",
    }


def test_the_runs_own_pairs_leave_documents_placed_as_its_clusters(tmp_path: Path) -> None:
    """Two copies the run's clusters keep apart (as a run whose like-for-like twin was taken by
    an earlier star does) stay apart: the joins of the run's pairs move neither again."""
    text = _story_records()["original"]["text"]
    docs = [Document("first", text), Document("second", text)]
    fps = list(Fingerprinter(Config()).fingerprint([d.text for d in docs]))
    with Collection.open(tmp_path / "c.db") as collection, collection.loading() as load:
        load.add(docs, fps)
        assert load.place_as_run(["first", "second"], ["first", "second"]) == 2
        assert collection.index.cluster_of("second") == "second"  # the add rule had "first"
        assert load.join_verified([("first", "second", True)]) == 0
        assert load.join_clusters([("first", "second")]) == 0
    with Collection.open(tmp_path / "c.db") as stored:
        assert stored.get("second").cluster == "second"
