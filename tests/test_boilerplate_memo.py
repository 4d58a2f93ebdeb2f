"""A story count the SQLite store remembers between judgements answers what counting again
would: as a footer's first carriers are stored, replaced by copies of another story and removed,
inside transactions and savepoints that commit or roll back; and a footer judged again with the
same first carriers reads no signature."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dedup.boilerplate import BoilerplateModel
from dedup.boilerplate._prefixes import SIZE
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.types import Document
from tests._boilerplate_support import RandomTransactions
from tests.test_boilerplate_prefixes import FOOTER, _judge_footer, _mirror, _store

WIRE = "The same wire story about the storm, reprinted word for word by every site in the chain."
STORIES = [
    "The library reopened on Monday after a year of repairs to its leaking roof and walls.",
    "Fishing boats returned to the harbour at dawn, their crews weary but their holds full.",
    "Tickets for the stadium's final match of the season sold out within twenty minutes.",
    "The council voted late on Tuesday to close the old bridge to lorries from next spring.",
]


def _entry(doc_id: str, body: str) -> DocumentEntry:
    return BoilerplateModel().build([Document(doc_id, f"{body}\n\n{FOOTER}", "north")])[0]


def _versions(busy: bool) -> tuple[list[DocumentEntry], dict[str, list[DocumentEntry]]]:
    """Copies of one wire story (more than SIZE of them when ``busy``, so that the footer's
    first carriers come from a prefix), and ids whose first come first in id order, each
    with two versions: a story of its own, and a copy of the wire story."""
    copies = [_entry(f"w{k:03d}", WIRE) for k in range(SIZE + 8 if busy else 12)]
    ids = [f"a{k}" for k in range(len(STORIES))]
    versions = {
        doc_id: [_entry(doc_id, story), _entry(doc_id, WIRE)]
        for doc_id, story in zip(ids, STORIES, strict=True)
    }
    return copies, versions


@pytest.mark.parametrize("busy", [False, True])
@pytest.mark.parametrize("keep_views", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_remembered_story_count_answers_what_counting_again_does(
    tmp_path: Path, seed: int, keep_views: bool, busy: bool
) -> None:
    rng = random.Random(seed)
    copies, versions = _versions(busy)
    store = _store(tmp_path / "bp.db", keep_views)
    stored: dict[str, DocumentEntry] = {}
    for entry in copies:
        store.put(entry)
        stored[entry.doc_id] = entry

    def restore(saved: dict[str, DocumentEntry]) -> None:
        stored.clear()
        stored.update(saved)

    transactions = RandomTransactions(
        store, rng, lambda: dict(stored), restore, begin=0.15, end=0.25, rollback=0.4
    )
    answers: set[bool] = set()
    for _ in range(160):
        roll = rng.random()
        if transactions.step(roll):
            pass
        elif roll < 0.45 and any(doc_id in stored for doc_id in versions):
            gone = rng.choice([doc_id for doc_id in versions if doc_id in stored])
            store.remove(gone)
            del stored[gone]
        else:  # a story of its own, or a copy of the wire story in its place
            entry = rng.choice(versions[rng.choice(list(versions))])
            store.put(entry)
            stored[entry.doc_id] = entry
        answer = _judge_footer(store)
        assert answer == _judge_footer(_mirror(list(stored.values())))
        answers.add(answer)
    assert answers == {True, False}  # the stories came and went


def _counting_signatures(store: SQLiteBoilerplateStore) -> list[int]:
    """Count the signatures ``store`` reads from then on."""
    read: list[int] = []
    original = store.signatures

    def signatures(doc_ids: Any) -> Any:
        found = original(doc_ids)
        read.append(len(found))
        return found

    store.signatures = signatures  # type: ignore[method-assign]
    return read


@pytest.mark.parametrize("busy", [False, True])
def test_a_footer_judged_again_with_the_same_first_carriers_reads_no_signature(
    tmp_path: Path, busy: bool
) -> None:
    copies, versions = _versions(busy)
    store = _store(tmp_path / "bp.db")
    for entry in [*copies, *(story for story, _ in versions.values())]:
        store.put(entry)
    assert _judge_footer(store)
    read = _counting_signatures(store)
    assert _judge_footer(store)
    assert read == []
    store.put(versions["a0"][1])  # a founder replaced by a copy: counted again
    assert _judge_footer(store)
    assert sum(read) > 0
