"""Random add/remove sequences against a reference model, on both backends at once."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from _index_support import CONFIG, edited, head, text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dedup.errors import DocumentNotFoundError
from dedup.fingerprint import Fingerprinter
from dedup.index import IndexCore, MemoryIndex, SQLiteIndex
from dedup.types import AddOutcome, Document, Relation
from dedup.verify import Similarity

# A small pool whose relations are known: two families of copies (one of them differing only
# in case, so a duplicate by content hash), a chain xy ~ xyz ~ yz whose ends are unrelated,
# and an empty text.
_BASES = [text(300 + i, 60) for i in range(2)]
_X, _Y, _Z = (text(310 + i, 40) for i in range(3))
POOL = [
    *itertools.chain.from_iterable((b, b.upper(), edited(b, 60, 30), head(b, 0.8)) for b in _BASES),
    f"{_X} {_Y}",
    f"{_X} {_Y} {_Z}",
    f"{_Y} {_Z}",
    "...",
]
_FPS = Fingerprinter(CONFIG).fingerprint(POOL)


def _related(i: int, j: int) -> bool:
    a, b = _FPS[i], _FPS[j]
    if a.empty or b.empty:
        return False
    identical = a.content_hash == b.content_hash
    return Similarity.of(a.shingles, b.shingles).relation(CONFIG.threshold, identical) is not None


def _joins(i: int, j: int) -> bool:
    """Whether POOL[i] may join a cluster POOL[j] is the canonical of: a copy or an excerpt."""
    a, b = _FPS[i], _FPS[j]
    if a.empty or b.empty:
        return False
    relation = Similarity.of(a.shingles, b.shingles).relation(
        CONFIG.threshold, a.content_hash == b.content_hash
    )
    return relation is not None and relation is not Relation.CONTAINS


RELATED = {(i, j) for i in range(len(POOL)) for j in range(len(POOL)) if _related(i, j)}
JOINS = {(i, j) for i, j in RELATED if _joins(i, j)}
COPIES = {(i, j) for i, j in JOINS if (j, i) in JOINS}  # each may join the other's cluster
IDS = ["a", "b", "c", "d", "e", "f"]
DATES = [None, "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"]

documents = st.builds(
    lambda doc_id, t, published, source: Document(doc_id, POOL[t], source, published),
    st.sampled_from(IDS),
    st.integers(0, len(POOL) - 1),
    st.sampled_from(DATES),
    st.sampled_from([None, "s1", "s2"]),
)


def test_the_pool_is_within_lsh_reach() -> None:
    """Every related pair of the pool is an LSH candidate, so the model may assume exact recall."""
    index = MemoryIndex(CONFIG)
    index.add_many(Document(str(i), t) for i, t in enumerate(POOL))
    for i, j in RELATED:
        assert str(j) in index.candidates(POOL[i]).ids
    assert (8, 10) not in RELATED and (8, 9) in RELATED and (9, 10) in RELATED


def _expected(model: dict[str, Document], document: Document) -> AddOutcome:
    old = model.get(document.id)
    model[document.id] = document
    if old is None:
        return AddOutcome.ADDED
    return AddOutcome.UNCHANGED if old == document else AddOutcome.UPDATED


class IndexMachine(RuleBasedStateMachine):
    """Drives a MemoryIndex and an SQLiteIndex with the same operations and a dict model."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.indexes: list[IndexCore] = [
            MemoryIndex(CONFIG),
            SQLiteIndex(Path(self.tmp.name) / "i.db", CONFIG),
        ]
        self.model: dict[str, Document] = {}

    def teardown(self) -> None:
        for index in self.indexes:
            index.close()
        self.tmp.cleanup()

    @rule(document=documents)
    def add(self, document: Document) -> None:
        expected = _expected(self.model, document)
        assert [index.add(document) for index in self.indexes] == [expected, expected]

    @rule(batch=st.lists(documents, max_size=5))
    def add_many(self, batch: list[Document]) -> None:
        expected = [_expected(self.model, d) for d in batch]
        assert [index.add_many(batch) for index in self.indexes] == [expected, expected]

    @rule(doc_id=st.sampled_from(IDS))
    def remove(self, doc_id: str) -> None:
        for index in self.indexes:
            if doc_id in self.model:
                index.remove(doc_id)
            else:
                try:
                    index.remove(doc_id)
                except DocumentNotFoundError:
                    continue
                raise AssertionError(f"removed {doc_id!r}, which was not stored")
        self.model.pop(doc_id, None)

    @rule(document=documents)
    def failed_add(self, document: Document) -> None:
        for index in self.indexes:
            before = list(index.clusters(min_size=1))
            try:
                with index.atomic():
                    index.add(document)
                    raise RuntimeError("crash")
            except RuntimeError:
                pass
            assert list(index.clusters(min_size=1)) == before

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def similar(self, data: st.DataObject) -> None:
        doc_id = data.draw(st.sampled_from(sorted(self.model)))
        memory, sqlite = (index.similar(doc_id) for index in self.indexes)
        assert memory == sqlite
        own = POOL.index(self.model[doc_id].text)
        expected = {
            i for i, d in self.model.items() if i != doc_id and (own, POOL.index(d.text)) in RELATED
        }
        assert {m.id for m in memory.matches} == expected
        duplicates = {m.id for m in memory.matches if m.relation is Relation.DUPLICATE}
        own_hash = _FPS[own].content_hash
        assert duplicates == {
            i for i in expected if _FPS[POOL.index(self.model[i].text)].content_hash == own_hash
        }

    @invariant()
    def same_documents_as_the_model(self) -> None:
        for index in self.indexes:
            assert len(index) == len(self.model)
            assert sorted(index) == sorted(self.model)
            for doc_id, document in self.model.items():
                stored = index.get(doc_id)
                assert (stored.source, stored.published, stored.length) == (
                    document.source,
                    document.published,
                    len(document.text),
                )

    @invariant()
    def clusters_are_stars_around_canonicals(self) -> None:
        memory, sqlite = (list(index.clusters(min_size=1)) for index in self.indexes)
        assert memory == sqlite
        pool = {i: POOL.index(d.text) for i, d in self.model.items()}
        canonicals = [cluster_id for cluster_id, _ in memory]
        assert sorted(m for _, members in memory for m in members) == sorted(self.model)
        for cluster_id, members in memory:
            assert members[0] == cluster_id
            # Chaining guard: every member is a copy or an excerpt of the canonical itself.
            assert all((pool[m], pool[cluster_id]) in JOINS for m in members[1:])
        # A document only founds a cluster when it may join no canonical: no two are copies
        # (an excerpt stored before the story that contains it stays a canonical).
        for a, b in itertools.combinations(canonicals, 2):
            assert (pool[a], pool[b]) not in COPIES


TestIndexMachine = IndexMachine.TestCase
TestIndexMachine.settings = settings(
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class HookedIndexMachine(IndexMachine):
    """The same, with indexes whose re-placement hook names every other stored document (as
    a collection's reuse candidates might): the joins it adds keep the stars' invariants."""

    def __init__(self) -> None:
        super().__init__()
        for index in self.indexes:
            index.place_with(lambda doc_id, index=index: [d for d in list(index) if d != doc_id])


TestHookedIndexMachine = HookedIndexMachine.TestCase
TestHookedIndexMachine.settings = TestIndexMachine.settings


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(documents, max_size=12))
def test_add_many_equals_adding_one_by_one(batch: list[Document]) -> None:
    """A batch gives the outcomes, order and clusters of the same documents added singly."""
    bulk, single = MemoryIndex(CONFIG), MemoryIndex(CONFIG)
    assert bulk.add_many(batch) == [single.add(d) for d in batch]
    assert list(bulk) == list(single)
    assert list(bulk.clusters(min_size=1)) == list(single.clusters(min_size=1))
