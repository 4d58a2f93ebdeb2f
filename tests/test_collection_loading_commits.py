"""Loading sessions that commit as they go (``commit_every``): for a file a service writes.

Between steps the write lock is free, so another writer (a service's) gets it, and readers see
the run a step at a time. The rows stored are those of one transaction; a failed session keeps
its committed steps, and loading the same documents again completes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection, loading
from dedup.errors import InputError
from dedup.synth import news_corpus
from dedup.types import AddOutcome
from tests.conftest import SAMPLE_DUMP
from tests.test_collection_loading import Batch, dump, fingerprinted, new_path, run

STEP = 30


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    """Eight steps and seven documents: news with reprints, two ids again with the same text
    (unchanged) and two with another (updated)."""
    docs = list(news_corpus(8 * STEP + 3, seed=5))
    again = [docs[3], docs[40], replace(docs[7], text=docs[7].text + " Updated.")]
    return [*docs, *again, replace(docs[41], text="Another story, told in other words.")]


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "STEP", STEP)


def load(collection: Collection, batches: list[Batch], every: int | None) -> loading.Loader:
    with collection.loading(every) as loader:
        for docs, fps, spans in batches:
            loader.add(docs, fps, spans=spans)
        docs = [d for step in batches[:3] for d in step[0]][: 2 * STEP + 5]
        loader.add_boilerplate(collection.boilerplate.build(docs))
    return loader


def lock_is_free(path: Path) -> bool:
    """Whether another connection can take the file's write lock right now (no waiting)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


@pytest.mark.parametrize(("every", "commits"), [(STEP, 11), (45, 6), (10_000, 1)])
def test_the_rows_are_those_of_one_transaction(
    every: int, commits: int, corpus: list[Document], tmp_path: Path
) -> None:
    """A commit comes at the end of the step that reaches ``every`` documents since the last
    (45 rounds up to two steps of 30), then after each ``every`` boilerplate entries (65 here:
    three commits of 30, two of 45)."""
    batches = fingerprinted(corpus, STEP, spans=True)
    with Collection.open(tmp_path / "one.db") as one, Collection.open(tmp_path / "many.db") as many:
        expected = load(one, batches, None)
        loader = load(many, batches, every)
    assert (expected.commits, loader.commits) == (1, commits)
    assert loader.outcomes == expected.outcomes
    assert {AddOutcome.ADDED, AddOutcome.UPDATED, AddOutcome.UNCHANGED} <= set(loader.outcomes)
    assert dump(tmp_path / "many.db") == dump(tmp_path / "one.db")


def test_another_writer_writes_between_steps_and_readers_see_each_commit(
    corpus: list[Document], tmp_path: Path
) -> None:
    """The lock is taken for a step's writes and held until the commit (here every second
    step), not over the reading of the next documents."""
    path = tmp_path / "live.db"
    with Collection.open(path) as service:
        service.post(corpus[0])
    steps = fingerprinted(corpus[1 : 1 + 3 * STEP], STEP)
    posted = Document("posted", "A story of its own, posted while the bulk run loads.")
    with (
        Collection.open(path) as bulk,
        Collection.open(path, readonly=True) as reader,
        bulk.loading(2 * STEP) as loader,
    ):
        assert lock_is_free(path)
        loader.add(*steps[0][:2])
        assert not lock_is_free(path)
        assert steps[0][0][0].id not in reader
        loader.add(*steps[1][:2])
        assert lock_is_free(path)
        assert steps[1][0][-1].id in reader
        with Collection.open(path) as service:
            assert service.post(posted).stored == "added"
        loader.add(*steps[2][:2])
    with Collection.open(path, readonly=True) as after:
        assert {d.id for step in steps for d in step[0]} | {corpus[0].id, posted.id} == set(after)


def test_a_failed_session_keeps_its_committed_steps_and_a_reload_completes_it(
    corpus: list[Document], tmp_path: Path
) -> None:
    batches = fingerprinted(corpus[: 3 * STEP], STEP)
    with Collection.open(tmp_path / "ref.db") as ref:
        new_path(ref, batches)
    path = tmp_path / "failed.db"
    with Collection.open(path) as collection:
        with pytest.raises(RuntimeError), collection.loading(STEP) as loader:
            for docs, fps, spans in batches[:2]:
                loader.add(docs, fps, spans=spans)
            loader.add(batches[2][0][:5], batches[2][1][:5])  # buffered, not yet written
            raise RuntimeError("killed")
        assert not collection.in_transaction
        assert len(collection) == 2 * STEP
        with collection.loading(STEP) as again:
            for docs, fps, spans in batches:
                again.add(docs, fps, spans=spans)
    assert again.outcomes == Counter({AddOutcome.UNCHANGED: 2 * STEP, AddOutcome.ADDED: STEP})
    assert dump(path) == dump(tmp_path / "ref.db")


@pytest.mark.parametrize("every", [0, -1, True, 2.5])
def test_commit_every_is_a_number_of_documents_of_at_least_one(
    every: object, tmp_path: Path
) -> None:
    with Collection.open(tmp_path / "x.db") as collection:
        with pytest.raises(InputError, match="commit_every"):
            collection.loading(every).__enter__()  # type: ignore[arg-type]
        assert not collection.in_transaction


def test_bulk_commit_every_stores_the_run(tmp_path: Path) -> None:
    """`dedup bulk --db --commit-every N` on the shipped sample: every article stored."""
    db = tmp_path / "articles.db"
    out = str(tmp_path / "out")
    code, output = run(
        "bulk", str(SAMPLE_DUMP), "--out", out, "--db", str(db), "--commit-every", "4", "--quiet"
    )
    assert code == 0, output
    with Collection.open(db, readonly=True) as collection:
        assert len(collection) == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--commit-every", "4"], "--commit-every needs --db"), (["--commit-every", "0"], "0")],
)
def test_bulk_commit_every_without_db_or_below_one_is_a_usage_error(
    args: list[str], message: str, tmp_path: Path
) -> None:
    db = [] if args[1] == "4" else ["--db", str(tmp_path / "x.db")]
    code, output = run("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "out"), *db, *args)
    assert code == 2
    assert message in output
    assert not (tmp_path / "out").exists()


def test_a_bad_line_stops_a_bulk_run_before_its_first_commit(
    corpus: list[Document], tmp_path: Path
) -> None:
    """Every input is read once before anything is stored, as in one transaction: the bad
    line comes after steps that would have been committed, and nothing is (nor any --out)."""
    good = [{"id": d.id, "text": d.text} for d in corpus]
    lines = [json.dumps(r) for r in good[:200]] + ['{"id": "x", "text": 5}']
    lines += [json.dumps(r) for r in good[200:]]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db, out = tmp_path / "articles.db", tmp_path / "out"
    code, output = run(
        "bulk", str(path), "--out", str(out), "--db", str(db), "--commit-every", str(STEP),
        "--jobs", "1", "--quiet",
    )  # fmt: skip
    assert code == 2
    assert output.strip().splitlines() == [
        f"dedup: error: {path}:201: field 'text' must be a string, got number"
    ]
    assert not db.exists() and not out.exists()
