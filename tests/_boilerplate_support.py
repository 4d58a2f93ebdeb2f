"""Helpers of the dedup.boilerplate tests: seeded articles, footers, the shipped sample."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.io import read_documents
from dedup.types import Document

S = TypeVar("S")

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_dump.txt"
SAMPLE_FOOTERS = {"Check out our Latest News and Follow us at Facebook", "Original Source"}
WORDS = (
    "river stone bridge market council harbour winter engine garden letter silver station "
    "painter doctor valley forest signal ladder museum kitchen island tower rocket camera "
    "orchard violin desert castle pilot farmer theatre anchor lantern meadow compass mirror "
    "thunder basket candle harvest glacier ferry cottage marble parade saddle timber canyon"
)
VOCABULARY = WORDS.split()
FOOTER = ["Share this article", "© 2024 The Daily Ledger. All rights reserved."]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def body(seed: int, paragraphs: int = 4, words: int = 40) -> list[str]:
    """Paragraphs of an article no other seed shares a paragraph with."""
    rng = random.Random(seed)
    return [sentence(rng, words) for _ in range(paragraphs)]


def page(doc_id: str, source: str | None, paragraphs: list[str]) -> Document:
    return Document(doc_id, "\n\n".join(paragraphs), source)


def removed_texts(doc: Document, spans: list[tuple[int, int]]) -> list[str]:
    return [doc.text[s:e] for s, e in spans]


def sample() -> list[Document]:
    return list(read_documents([str(SAMPLE)]))


class RandomTransactions(Generic[S]):
    """Random transaction steps on a SQLite boilerplate store's connection, with the hooks a
    Collection wires: BEGIN (then ``catch_up``), SAVEPOINT, ROLLBACK TO (then ``rolled_back``)
    or RELEASE, ROLLBACK or COMMIT. ``saved()`` snapshots what the test holds as stored, and
    ``restore(snapshot)`` puts it back when a rollback undoes what came after."""

    def __init__(
        self,
        store: SQLiteBoilerplateStore,
        rng: random.Random,
        saved: Callable[[], S],
        restore: Callable[[S], None],
        *,
        begin: float,
        end: float,
        rollback: float,
    ) -> None:
        self._store, self._conn, self._rng = store, store._conn, rng
        self._saved, self._restore = saved, restore
        self._begin, self._end, self._rollback = begin, end, rollback
        self._at_begin: S | None = None
        self._at_savepoint: S | None = None

    def step(self, roll: float) -> bool:
        """The step ``roll`` (uniform in [0, 1)) falls to, if a transaction step: whether one
        was taken (else the test stores or removes something)."""
        conn = self._conn
        if not conn.in_transaction and roll < self._begin:
            conn.execute("BEGIN")
            self._store.catch_up()
            self._at_begin = self._saved()
        elif conn.in_transaction and self._at_savepoint is None and roll < 0.1:
            conn.execute("SAVEPOINT post")
            self._at_savepoint = self._saved()
        elif self._at_savepoint is not None and roll < 0.2:
            if self._rng.random() < 0.5:
                conn.execute("ROLLBACK TO post")
                self._store.rolled_back()
                self._restore(self._at_savepoint)
            conn.execute("RELEASE post")
            self._at_savepoint = None
        elif conn.in_transaction and self._at_savepoint is None and roll < self._end:
            if self._rng.random() < self._rollback:
                conn.execute("ROLLBACK")
                if self._at_begin is not None:
                    self._restore(self._at_begin)
            else:
                conn.execute("COMMIT")
        else:
            return False
        return True

    def close(self) -> None:
        """Release and commit whatever is open."""
        if self._conn.in_transaction:
            if self._at_savepoint is not None:
                self._conn.execute("RELEASE post")
                self._at_savepoint = None
            self._conn.execute("COMMIT")
