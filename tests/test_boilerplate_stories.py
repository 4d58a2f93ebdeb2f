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


def copies(a: np.ndarray, b: np.ndarray, left: np.ndarray, threshold: float) -> bool:
    """The rule as written out: the whole signatures' share of equal values reaches
    ``threshold``, and so does the share of equal values among the positions that count (the
    smaller value equal to no ``left`` value there) over those where the smaller own part
    has the smaller value (none: compared whole)."""
    if float(np.mean(a == b)) < threshold:
        return False
    counted = ~(np.minimum(a, b)[None, :] == left).any(axis=0)
    smaller = min(int(np.sum(counted & (a <= b))), int(np.sum(counted & (b <= a))))
    return smaller == 0 or int(np.sum(counted & (a == b))) / smaller >= threshold


def greedy_reference(
    rows: list[np.ndarray], left: np.ndarray, wanted: int, threshold: float
) -> int | None:
    """A row founds a story unless it holds no value of its own (every value equal to a
    ``left`` one at its position) or it and an earlier founder are :func:`copies`; how many
    rows were read to find ``wanted``."""
    founders: list[np.ndarray] = []
    for k, row in enumerate(rows):
        if left.shape[0] and (row[None, :] == left).any(axis=0).all():
            continue
        if any(copies(row, f, left, threshold) for f in founders):
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


def found_in_chunks(
    rows: list[np.ndarray], left: np.ndarray, wanted: int, threshold: float, chunk: int
) -> int | None:
    """:func:`found_stories` over ``rows`` ``chunk`` at a time, as the story count calls it."""
    founders = np.empty((wanted, rows[0].shape[0]), dtype=np.uint32)
    count = 0
    for start in range(0, len(rows), chunk):
        block = np.stack(rows[start : start + chunk])
        count, row = found_stories(block, left, founders, count, threshold)
        if row >= 0:
            return start + row + 1
    return None


@pytest.mark.parametrize("seed", range(40))
def test_stories_founded_chunk_by_chunk_follow_the_greedy_rule(seed: int) -> None:
    """Nothing left out: the rule is the Jaccard estimate's alone, ``mean(row == founder)``,
    as it was before parts were compared."""
    rng = random.Random(seed)
    rows = signatures(rng, rng.randint(1, 60))
    wanted, threshold, chunk = rng.randint(2, 6), rng.choice([0.25, 0.5, 0.75]), rng.randint(1, 9)
    founders: list[np.ndarray] = []
    plain = None
    for k, row in enumerate(rows):
        if all(float(np.mean(row == f)) < threshold for f in founders):
            founders.append(row)
            if len(founders) >= wanted:
                plain = k + 1
                break
    nothing = np.empty((0, 0), dtype=np.uint32)
    assert found_in_chunks(rows, nothing, wanted, threshold, chunk) == plain


@pytest.mark.parametrize("seed", range(60))
def test_stories_founded_with_a_text_left_out_follow_the_greedy_rule(seed: int) -> None:
    """One or two left-out signatures whose values take a share of each row's positions (all
    of them in some rows: those hold nothing of their own)."""
    rng = random.Random(seed)
    rows = signatures(rng, rng.randint(1, 60))
    width = rows[0].shape[0]
    left = np.array(
        [[rng.getrandbits(32) for _ in range(width)] for _ in range(rng.randint(1, 2))],
        dtype=np.uint32,
    )
    for row in rows:
        share = rng.choice([0.0, 0.3, 0.8, 1.0])
        for j in range(width):
            if rng.random() < share:
                row[j] = left[rng.randrange(left.shape[0]), j]
    wanted, threshold, chunk = rng.randint(2, 6), rng.choice([0.25, 0.5, 0.75]), rng.randint(1, 9)
    read = found_in_chunks(rows, left, wanted, threshold, chunk)
    assert read == greedy_reference(rows, left, wanted, threshold)


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
