"""What crosses between a service's processes pickles back to what it was (``dedup._pickling``)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields

import numpy as np
import pytest

from dedup import Config, Document, Fingerprinter
from dedup._pickling import array_of, array_state, by_fields
from dedup.boilerplate.store import DocumentEntry, Occurrence
from dedup.collection import Collection
from dedup.synth.news import news_corpus

#: The ``left`` of every :class:`_Checked` built.
built: list[int] = []


@by_fields
@dataclass(frozen=True, slots=True)
class _Checked:
    left: int
    right: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        built.append(self.left)


def _clone(value: object) -> object:
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _same_entries(a: DocumentEntry, b: DocumentEntry) -> None:
    assert (a.doc_id, a.source) == (b.doc_id, b.source)
    assert a.signature.dtype == b.signature.dtype
    assert np.array_equal(a.signature, b.signature)
    assert len(a.occurrences) == len(b.occurrences)
    for x, y in zip(a.occurrences, b.occurrences, strict=True):
        for f in fields(Occurrence):
            left, right = getattr(x, f.name), getattr(y, f.name)
            if isinstance(left, np.ndarray):
                assert isinstance(right, np.ndarray)
                assert left.dtype == right.dtype
                assert np.array_equal(left, right)
            else:
                assert left == right


def _news(n: int) -> list[Document]:
    return [
        Document(f"p-{d.id}", d.text, d.source, d.published, d.title)
        for d in news_corpus(n, seed=5, fresh_bodies=True)
    ]


def test_a_prepared_post_pickles_back_paragraph_for_paragraph(tmp_path):
    """Entries built from news articles (signed paragraphs, templates, labels) survive."""
    with Collection.open(tmp_path / "c.db") as collection:
        for doc in _news(6):
            prepared = collection.prepare(doc)
            clone = _clone(prepared)
            assert clone.doc == prepared.doc and clone.config_id == prepared.config_id
            _same_entries(prepared.entry, clone.entry)


def test_an_entry_with_paragraphs_with_and_without_arrays_pickles_back():
    """Unsigned paragraphs keep None where signed ones keep their arrays, in order."""
    signed = Occurrence(0, 10, "a footer", 1, 2, shingles=np.arange(5, dtype=np.uint64))
    unsigned = Occurrence(11, 20, "Read more", 3, 4, template=7, label=9)
    banded = Occurrence(
        21, 40, "b", 5, 6, shingles=np.arange(3, dtype=np.uint64), bands=np.ones(16, np.uint64)
    )
    entry = DocumentEntry("d", None, np.arange(64, dtype=np.uint32), (signed, unsigned, banded))
    _same_entries(entry, _clone(entry))


def test_an_entry_whose_arrays_differ_in_kind_pickles_them_as_they_are():
    """Arrays that one array cannot hold unchanged (two dtypes) are pickled one by one."""
    first = Occurrence(0, 1, "x", 1, 1, shingles=np.arange(3, dtype=np.uint64))
    second = Occurrence(2, 3, "y", 2, 2, shingles=np.arange(3, dtype=np.int32))
    entry = DocumentEntry("d", "s", np.zeros(0, dtype=np.uint32), (first, second))
    _same_entries(entry, _clone(entry))


def test_an_entry_without_paragraphs_pickles_back():
    entry = DocumentEntry("d", "s", np.zeros(0, dtype=np.uint32), ())
    _same_entries(entry, _clone(entry))


def test_a_fingerprint_pickles_back_with_its_dtypes():
    text = "Wire copy reprinted with a new headline and a cut end."
    fp = Fingerprinter(Config()).fingerprint_one(text)
    clone = _clone(fp)
    assert clone.signature.dtype == fp.signature.dtype
    assert np.array_equal(clone.signature, fp.signature)
    assert clone.shingles.dtype == fp.shingles.dtype
    assert np.array_equal(clone.shingles, fp.shingles)
    assert (clone.content_hash, clone.seed) == (fp.content_hash, fp.seed)


def test_unpickled_arrays_are_writable_like_any_unpickled_array():
    """Arrays on the pickle's bytes would be read-only; code that sorts in place must not
    find that a crossing changed it."""
    fp = _clone(Fingerprinter(Config()).fingerprint_one("one two three four five six seven eight"))
    fp.shingles.sort()
    assert fp.shingles.flags.writeable
    assert array_of(array_state(np.arange(4).reshape(2, 2))).flags.writeable


def test_an_array_state_keeps_shape_and_dtype():
    array = np.arange(12, dtype=">i4").reshape(3, 4)
    back = array_of(array_state(array))
    assert back.shape == (3, 4) and back.dtype == array.dtype
    assert np.array_equal(back, array)


def test_an_array_of_objects_is_kept_as_it_is():
    array = np.array(["a", None], dtype=object)
    assert array_state(array) is array


def test_a_class_pickled_by_fields_is_built_again_through_its_init():
    """Unpickling calls ``__init__`` with the fields (the generic way sets them one by one,
    without it), so what ``__post_init__`` checks is checked again."""
    built.clear()
    value = _Checked(1, [2, 3])
    clone = _clone(value)
    assert clone == value
    assert built == [1, 1]


def test_a_class_with_a_field_outside_init_cannot_be_pickled_by_fields():
    @dataclass(frozen=True, slots=True)
    class Derived:
        value: int
        doubled: int = field(init=False, default=0)

    with pytest.raises(TypeError, match="outside __init__"):
        by_fields(Derived)
