"""Story counts of the boilerplate judgement: the compiled greedy rule, and a steady judge that
keeps its decisions from batch to batch while the store does not change."""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np
import pytest
from _boilerplate_support import FOOTER, body, page

from dedup._minhash_kernels import found_stories
from dedup.boilerplate import BoilerplateModel, DocumentEntry, MemoryStore
from dedup.boilerplate import model as model_module
from dedup.types import Document


def greedy_reference(rows: list[np.ndarray], wanted: int, threshold: float) -> int | None:
    """The rule as first written: a row founds a story unless ``mean(row == founder)``
    reaches ``threshold`` for an earlier founder; how many rows were read to find ``wanted``."""
    founders: list[np.ndarray] = []
    for k, row in enumerate(rows):
        if any(float(np.mean(row == f)) >= threshold for f in founders):
            continue
        founders.append(row)
        if len(founders) >= wanted:
            return k + 1
    return None


def signatures(rng: random.Random, count: int, width: int = 32) -> list[np.ndarray]:
    """Rows that are new, or copies of an earlier row with some values changed (often enough
    to land on either side of a threshold)."""
    rows: list[np.ndarray] = []
    for _ in range(count):
        if rows and rng.random() < 0.7:
            row = rng.choice(rows).copy()
            for j in rng.sample(range(width), rng.randint(0, width)):
                row[j] = rng.getrandbits(32)
        else:
            row = np.array([rng.getrandbits(32) for _ in range(width)], dtype=np.uint32)
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(40))
def test_stories_founded_chunk_by_chunk_follow_the_greedy_rule(seed: int) -> None:
    rng = random.Random(seed)
    rows = signatures(rng, rng.randint(1, 60))
    wanted, threshold, chunk = rng.randint(2, 6), rng.choice([0.25, 0.5, 0.75]), rng.randint(1, 9)
    founders = np.empty((wanted, rows[0].shape[0]), dtype=np.uint32)
    count, read = 0, None
    for start in range(0, len(rows), chunk):
        count, row = found_stories(
            np.stack(rows[start : start + chunk]), founders, count, threshold
        )
        if row >= 0:
            read = start + row + 1
            break
    assert read == greedy_reference(rows, wanted, threshold)


class CountingStore(MemoryStore):
    """A store that counts the entries judging reads (a story count reads signatures)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, doc_id: str) -> DocumentEntry | None:
        self.reads += 1
        return super().get(doc_id)

    def signatures(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(doc_ids)
        self.reads += len(wanted)
        return super().signatures(wanted)


def copies_corpus() -> list[Document]:
    """Six stories, each copied five times with a line of its own, without sources; every
    page carries the footer."""
    return [
        page(f"s{story}-{k}", None, [*body(story), *body(100 + 10 * story + k, 1), *FOOTER])
        for k in range(5)
        for story in range(6)
    ]


def test_a_steady_judge_decides_what_a_judgement_of_each_batch_decides() -> None:
    model = BoilerplateModel()
    entries = model.observe_many(copies_corpus())
    batches = [entries[k : k + 7] for k in range(0, len(entries), 7)]
    fresh = [model.judge(batch) for batch in batches]
    for most in (0, 10, 1 << 18):  # forgetting after every batch, now and then, never
        steady = model.steady_judge(most)
        assert [steady(batch) for batch in batches] == fresh
    assert {o.text for found in fresh for occs in found for o in occs} == set(FOOTER)


def test_a_steady_judge_reads_no_carrier_again_for_a_batch_it_judged() -> None:
    store = CountingStore()
    model = BoilerplateModel(store=store)
    entries = model.observe_many(copies_corpus())
    steady = model.steady_judge()
    first = steady(entries[:10])
    store.reads = 0
    assert steady(entries[:10]) == first and store.reads == 0
    model.judge(entries[:10])
    assert store.reads > 0  # a judgement of its own reads them all again


def test_a_steady_judge_past_its_bound_forgets_and_reads_again() -> None:
    store = CountingStore()
    model = BoilerplateModel(store=store)
    entries = model.observe_many(copies_corpus())
    steady = model.steady_judge(most=0)
    first = steady(entries[:10])
    store.reads = 0
    assert steady(entries[:10]) == first and store.reads > 0


def test_patterns_are_the_same_when_their_judgement_forgets_as_it_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Judged four documents at a time, all its decisions forgotten before each batch."""
    model = BoilerplateModel()
    model.observe_many([*copies_corpus(), page("other", None, [*body(99), *FOOTER])])
    kept = model.patterns()
    monkeypatch.setattr(model_module, "_PATTERN_BATCH", 4)
    monkeypatch.setattr(model_module, "STEADY_DECISIONS", 0)
    assert model.patterns() == kept and {p.text for p in kept} == set(FOOTER)
