"""What a boilerplate model remembers, behind a small protocol, and the in-memory store.

The model (:mod:`dedup.boilerplate.model`) decides; a store only keeps documents' paragraph
keys and answers lookups, so the same logic runs over memory now and over SQLite later (the
index's tables: one row per document, one per eligible paragraph, one per band key).

Counting is done over *eligible* paragraphs only, the ones that may be boilerplate at all: at
the head or tail of their document, or short (see :class:`dedup.boilerplate.model.Rules`).
Long mid-article paragraphs are content by rule, so they are never stored as occurrences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast, runtime_checkable

import numpy as np

from dedup._pickling import ArrayState, array_of, array_state, by_fields
from dedup._postings import Postings

KeyKind = Literal["exact", "masked", "template", "label"]


@by_fields
@dataclass(frozen=True, slots=True)
class Occurrence:
    """One eligible paragraph of a document, with every key it can be matched by.

    ``exact``/``masked`` are the paragraph keys of :mod:`dedup.paragraphs`; ``template`` is the
    key of the paragraph's name-masked text (:meth:`dedup.mask.Masker.template`), set only for
    short paragraphs at the head or tail whose names it changed; ``shingles`` (of the masked
    text) and ``bands`` (LSH keys of its signature) only for paragraphs long enough to be
    signed; ``label`` is the key of the label of a "Label: value" paragraph ("Read more: ..."),
    set only when no other eligible paragraph of the document has that label (a label that
    repeats within an article, "Q:" or "Step 1:", is the article's own structure).
    ``text`` is the original paragraph, for export.
    """

    start: int
    end: int
    text: str
    exact: int
    masked: int
    template: int | None = None
    label: int | None = None
    shingles: np.ndarray | None = None
    bands: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document as the model sees it.

    ``signature`` is a MinHash signature of the whole masked text (the masked paragraphs
    joined): it tells copies of one story, however lightly edited, from unrelated articles.
    ``occurrences`` are its eligible paragraphs, in text order.
    """

    doc_id: str
    source: str | None
    signature: np.ndarray  # uint32
    occurrences: tuple[Occurrence, ...]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as columns: the paragraphs' arrays joined into one of each kind.

        A news article's entry has about a dozen paragraphs with two small arrays each,
        which :mod:`pickle` wrote and read one by one: the service sends every post's entry
        from a reader's process to the writer's. Unpickled, each paragraph's arrays are
        views of the joined ones.
        """
        occurrences = self.occurrences
        shingles = [o.shingles for o in occurrences if o.shingles is not None]
        bands = [o.bands for o in occurrences if o.bands is not None]
        rows: tuple[_Row, ...] = tuple(
            (o.start, o.end, o.text, o.exact, o.masked, o.template, o.label) for o in occurrences
        )
        columns = (
            self.doc_id,
            self.source,
            array_state(self.signature),
            rows,
            _joined(shingles, [o.shingles is not None for o in occurrences]),
            _joined(bands, [o.bands is not None for o in occurrences]),
        )
        return _entry_from_columns, columns


#: An occurrence's fields but its arrays, in order.
_Row = tuple[int, int, str, int, int, int | None, int | None]
#: A kind of array of an entry's paragraphs, joined: ``(values, sizes)``, a size of -1 for a
#: paragraph without one; or the arrays as they are and None, when one array cannot hold them
#: unchanged (two dtypes, or more than one dimension).
_Joined = tuple[ArrayState, list[int]] | tuple[tuple[np.ndarray | None, ...], None]


def _joined(arrays: list[np.ndarray], present: list[bool]) -> _Joined:
    """The paragraphs' arrays of one kind as one array and their sizes; as they are if
    they cannot be joined without changing them."""
    one_kind = all(a.ndim == 1 and a.dtype == arrays[0].dtype for a in arrays)
    if not arrays or not one_kind:
        it = iter(arrays)
        return tuple(next(it) if p else None for p in present), None
    sizes = iter([a.shape[0] for a in arrays])
    return array_state(np.concatenate(arrays)), [next(sizes) if p else -1 for p in present]


def _split(joined: _Joined) -> list[np.ndarray | None]:
    """:func:`_joined` undone."""
    state, sizes = joined
    if sizes is None:
        return list(cast(tuple[np.ndarray | None, ...], state))
    values = array_of(cast(ArrayState, state))
    out: list[np.ndarray | None] = []
    at = 0
    for size in sizes:
        if size < 0:
            out.append(None)
        else:
            out.append(values[at : at + size])
            at += size
    return out


def _entry_from_columns(
    doc_id: str,
    source: str | None,
    signature: ArrayState,
    rows: tuple[_Row, ...],
    shingles: _Joined,
    bands: _Joined,
) -> DocumentEntry:
    """A :class:`DocumentEntry` from :meth:`DocumentEntry.__reduce__`'s columns."""
    occurrences = tuple(
        Occurrence(*row, shingles=sh, bands=bd)
        for row, sh, bd in zip(rows, _split(shingles), _split(bands), strict=True)
    )
    return DocumentEntry(doc_id, source, array_of(signature), occurrences)


class BoilerplateStore(Protocol):
    """Storage of a :class:`~dedup.boilerplate.model.BoilerplateModel`."""

    def put(self, entry: DocumentEntry) -> None:
        """Store a document, replacing any stored one with the same id."""

    def get(self, doc_id: str) -> DocumentEntry | None:
        """The stored document with this id, if any."""

    def entries(self) -> Iterator[DocumentEntry]:
        """Every stored document, in id order."""

    def clear(self) -> None:
        """Forget everything."""

    def carriers(self, kind: KeyKind, key: int) -> Mapping[str, str | None]:
        """Documents with an occurrence under this key, as ``{doc_id: source}``."""

    def near(self, bands: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(masked key, masked shingles)`` of the stored signed forms sharing a band key."""

    def __len__(self) -> int:
        """Number of stored documents."""


@runtime_checkable
class BatchLookups(Protocol):
    """Lookups of many keys at once, which a store may offer beside :class:`BoilerplateStore`.

    Judging one document asks for the carriers of every key of every eligible paragraph, the
    near-duplicate forms of each signed one and the signatures of the carriers: dozens of
    lookups, each a query in SQLite. A store with these answers them in a few queries; the
    model asks for them when the store has them, and the answers are the same.
    """

    def near_many(self, bands: Sequence[np.ndarray]) -> list[list[tuple[int, np.ndarray]]]:
        """:meth:`BoilerplateStore.near` of each array of band keys, in order."""

    def signatures(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The whole-text signatures of these stored documents (absent ones left out)."""

    def carriers_in_order(self, keys: Iterable[tuple[KeyKind, int]]) -> CarriersInOrder:
        """The carriers as they are now, for one judgement (the store does not change
        meanwhile) that will ask about ``keys`` (others may be asked about too)."""


class CarriersInOrder(Protocol):
    """Which documents of one source carry a key, smallest ids first.

    Counting a key's stories reads its carriers in id order and usually stops after a handful,
    while the footer of a busy source is carried by thousands of documents: a store may answer
    the first few without listing the rest.
    """

    def first(
        self, kind: KeyKind, key: int, source: str | None, limit: int | None
    ) -> tuple[list[str], bool]:
        """The ``limit`` smallest ids (all, for None) of the documents of ``source`` carrying
        this key, ascending, and whether those are all of them."""

    def count(self, kind: KeyKind, key: int) -> int:
        """How many documents, of every source, carry this key."""

    def holds_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> bool:
        """Whether ``doc_ids``, the key's first carriers in ``source`` from :meth:`first`,
        begin with the same documents, unchanged, as an earlier :meth:`found_enough` (a
        store that keeps nothing between judgements says False)."""

    def found_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> None:
        """``doc_ids``, the first of the key's carriers in ``source`` from :meth:`first`, hold
        enough stories under ``rules``: a store may keep that (:meth:`holds_enough`)."""


class SortedCarriers:
    """:class:`CarriersInOrder` of a store's :meth:`BoilerplateStore.carriers`, sorted whole."""

    def __init__(self, store: BoilerplateStore) -> None:
        self._store = store

    def first(
        self, kind: KeyKind, key: int, source: str | None, limit: int | None
    ) -> tuple[list[str], bool]:
        ids = sorted(d for d, s in self._store.carriers(kind, key).items() if s == source)
        return ids[:limit], limit is None or len(ids) <= limit

    def count(self, kind: KeyKind, key: int) -> int:
        return len(self._store.carriers(kind, key))

    def holds_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> bool:
        return False

    def found_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> None:
        return None


_Carried = tuple[str, str | None] | dict[str, str | None]


class MemoryStore:
    """A :class:`BoilerplateStore` in dictionaries; for one process and corpora that fit."""

    def __init__(self) -> None:
        self._docs: dict[str, DocumentEntry] = {}
        self._reset()

    def _reset(self) -> None:
        self._docs = {}
        # key -> its one carrier as (id, source), or {id: source}: most keys (a story's own
        # paragraphs) have one (a dict for each: 966 MB at 20,000 news articles, 930 without).
        self._carriers: dict[tuple[KeyKind, int], _Carried] = {}
        # masked key -> (its number in the band postings, its shingles)
        self._forms: dict[int, tuple[int, np.ndarray]] = {}
        self._form_refs: dict[int, int] = defaultdict(int)
        # Band key -> forms as (band key, form number) pairs in sorted runs, 12 bytes a pair: a
        # dict entry per band key took about 90 (11.7 of the 35 KB a learned news article
        # held, tracemalloc); a set per band key before that, more again. A removed form's
        # pairs stay, dead, until they outnumber the living (then rebuilt from the entries).
        self._band_postings = Postings()
        self._form_masked: list[int] = []  # form number -> masked key
        self._dead_forms = 0

    def __len__(self) -> int:
        return len(self._docs)

    def put(self, entry: DocumentEntry) -> None:
        """Store a document, replacing any stored one with the same id."""
        self._remove(entry.doc_id)
        self._docs[entry.doc_id] = entry
        new: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for occ in entry.occurrences:
            for kind, key in keys_of(occ):
                self._carry((kind, key), entry.doc_id, entry.source)
            if occ.shingles is not None and occ.bands is not None:
                self._form_refs[occ.masked] += 1
                if occ.masked not in self._forms:
                    new.setdefault(occ.masked, (occ.shingles, occ.bands))
        self._add_forms(new)

    def _remove(self, doc_id: str) -> None:
        old = self._docs.pop(doc_id, None)
        if old is None:
            return
        for occ in old.occurrences:
            for kind, key in keys_of(occ):
                self._drop((kind, key), doc_id)
            if occ.shingles is not None and occ.bands is not None:
                self._form_refs[occ.masked] -= 1
                if self._form_refs[occ.masked] == 0:
                    del self._form_refs[occ.masked]
                    del self._forms[occ.masked]
                    self._dead_forms += 1
        if self._dead_forms > 64 and self._dead_forms > len(self._forms):
            self._rebuild_bands()

    def _add_forms(self, forms: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        """Number new forms (``masked -> (shingles, bands)``) and add their band pairs."""
        if not forms:
            return
        numbers = []
        for masked, (shingles, bands) in forms.items():
            number = len(self._form_masked)
            self._form_masked.append(masked)
            self._forms[masked] = (number, shingles)
            numbers.append(np.full(bands.shape[0], number, dtype=np.uint32))
        hashes = np.concatenate([np.asarray(b, dtype=np.uint64) for _, b in forms.values()])
        self._band_postings.add(hashes, np.concatenate(numbers))

    def _rebuild_bands(self) -> None:
        """The band postings of the living forms only, numbered afresh."""
        living: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for entry in self._docs.values():
            for occ in entry.occurrences:
                if occ.masked in self._forms and occ.bands is not None:
                    living.setdefault(occ.masked, (self._forms[occ.masked][1], occ.bands))
        self._forms, self._form_masked, self._dead_forms = {}, [], 0
        self._band_postings = Postings()
        self._add_forms(living)

    def _carry(self, key: tuple[KeyKind, int], doc_id: str, source: str | None) -> None:
        held = self._carriers.get(key)
        if held is None or (isinstance(held, tuple) and held[0] == doc_id):
            self._carriers[key] = (doc_id, source)
        elif isinstance(held, tuple):
            self._carriers[key] = {held[0]: held[1], doc_id: source}
        else:
            held[doc_id] = source

    def _drop(self, key: tuple[KeyKind, int], doc_id: str) -> None:
        held = self._carriers.get(key)
        if isinstance(held, tuple):
            if held[0] == doc_id:
                del self._carriers[key]
        elif held is not None:
            held.pop(doc_id, None)
            if not held:
                del self._carriers[key]

    def get(self, doc_id: str) -> DocumentEntry | None:
        """The stored document with this id, if any."""
        return self._docs.get(doc_id)

    def entries(self) -> Iterator[DocumentEntry]:
        """Every stored document, in id order."""
        return (self._docs[k] for k in sorted(self._docs))

    def clear(self) -> None:
        """Forget everything."""
        self._reset()

    def carriers(self, kind: KeyKind, key: int) -> Mapping[str, str | None]:
        """Documents with an occurrence under this key, as ``{doc_id: source}``."""
        held = self._carriers.get((kind, key))
        if isinstance(held, tuple):
            return {held[0]: held[1]}
        return {} if held is None else held

    def near(self, bands: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(masked key, masked shingles)`` of the stored signed forms sharing a band key."""
        return self.near_many([bands])[0]

    def near_many(self, bands: Sequence[np.ndarray]) -> list[list[tuple[int, np.ndarray]]]:
        """:meth:`near` of each array of band keys, in one lookup of the postings."""
        out: list[list[tuple[int, np.ndarray]]] = [[] for _ in bands]
        owners, numbers = self._band_postings.find_each(bands)
        forms, masked = self._forms, self._form_masked
        for q, number in zip(owners.tolist(), numbers.tolist(), strict=True):
            form = forms.get(masked[number])
            if form is not None and form[0] == number:  # else a removed form's pair
                out[q].append((masked[number], form[1]))
        for found in out:
            found.sort(key=lambda item: item[0])
        return out

    def signatures(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The whole-text signatures of these stored documents."""
        return {d: self._docs[d].signature for d in doc_ids if d in self._docs}

    def carriers_in_order(self, keys: Iterable[tuple[KeyKind, int]]) -> CarriersInOrder:
        """The carriers of each key, sorted whole when asked for."""
        return SortedCarriers(self)


def keys_of(occ: Occurrence) -> list[tuple[KeyKind, int]]:
    """A paragraph's own store keys, each with its kind (its near forms are other keys')."""
    keys: list[tuple[KeyKind, int]] = [("exact", occ.exact), ("masked", occ.masked)]
    keys += [("template", occ.template)] if occ.template is not None else []
    return keys + ([("label", occ.label)] if occ.label is not None else [])
