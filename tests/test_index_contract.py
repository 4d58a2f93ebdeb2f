"""The Index contract, run against both backends: storing, querying, removing, transactions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _index_support import BACKENDS, CONFIG, Backends, doc, edited, head, text

from dedup.config import Config
from dedup.errors import ConfigError, DocumentNotFoundError, InputError
from dedup.fingerprint import Fingerprinter
from dedup.index import Index, IndexCore
from dedup.index._inputs import CHUNK
from dedup.types import AddOutcome, Document, Match, Relation

A = text(1)
B = text(2)


@pytest.fixture(params=BACKENDS)
def backends(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backends]:
    opened = Backends(request.param, tmp_path)
    yield opened
    opened.close_all()


@pytest.fixture
def index(backends: Backends) -> IndexCore:
    return backends.open()


def ids(matches: tuple[Match, ...]) -> list[str]:
    return [m.id for m in matches]


# --- storing -------------------------------------------------------------------------------------


def test_both_backends_satisfy_the_index_protocol(index: IndexCore) -> None:
    """Each backend is an Index."""
    assert isinstance(index, Index)


def test_add_stores_the_metadata_but_not_the_text(index: IndexCore) -> None:
    """get() returns the stored metadata and the text's length."""
    index.add(doc("a", A, "2024-05-01T09:00:00Z", "wire", "Title"))
    stored = index.get("a")
    assert (stored.id, stored.source, stored.published, stored.title) == (
        "a",
        "wire",
        "2024-05-01T09:00:00Z",
        "Title",
    )
    assert stored.length == len(A)
    assert not hasattr(stored, "text")


def test_len_contains_and_iteration_follow_adds(index: IndexCore) -> None:
    """len, in and iteration (in insertion order) reflect the stored ids."""
    index.add(doc("b", B))
    index.add(doc("a", A))
    assert (len(index), "a" in index, "zzz" in index, 3 in index) == (2, True, False, False)
    assert list(index) == ["b", "a"]


def test_adding_a_new_id_reports_added(index: IndexCore) -> None:
    """A new id is ADDED."""
    assert index.add(doc("a", A)) is AddOutcome.ADDED


def test_re_adding_the_same_document_is_a_no_op(index: IndexCore) -> None:
    """The same id, text and metadata again is UNCHANGED and stores nothing new."""
    index.add(doc("a", A, source="wire"))
    assert index.add(doc("a", A, source="wire")) is AddOutcome.UNCHANGED
    assert len(index) == 1


def test_the_same_id_with_other_text_is_an_update(index: IndexCore) -> None:
    """Other text under a stored id is UPDATED and replaces the old version."""
    index.add(doc("a", A))
    assert index.add(doc("a", B)) is AddOutcome.UPDATED
    assert index.get("a").length == len(B)
    assert ids(index.query(A).matches) == []
    assert ids(index.query(B).matches) == ["a"]


def test_the_same_text_with_other_metadata_is_an_update(index: IndexCore) -> None:
    """A changed title (or source or date) under a stored id is UPDATED."""
    index.add(doc("a", A, title="Old"))
    assert index.add(doc("a", A, title="New")) is AddOutcome.UPDATED
    assert index.get("a").title == "New"


def test_add_many_reports_each_outcome_in_order(index: IndexCore) -> None:
    """add_many returns one outcome per document, a repeated id in the batch included."""
    index.add(doc("a", A))
    outcomes = index.add_many([doc("a", A), doc("b", B), doc("b", text(3)), doc("c", B)])
    assert outcomes == [
        AddOutcome.UNCHANGED,
        AddOutcome.ADDED,
        AddOutcome.UPDATED,
        AddOutcome.ADDED,
    ]
    assert sorted(index) == ["a", "b", "c"]


def test_add_many_accepts_precomputed_fingerprints(index: IndexCore) -> None:
    """Documents added with their fingerprints match exactly as if fingerprinted by the index."""
    batch = Fingerprinter(CONFIG).fingerprint([A, edited(A, 60)])
    index.add_many([doc("a", A), doc("b", edited(A, 60))], batch)
    assert ids(index.similar("a").matches) == ["b"]


def test_fingerprint_of_gives_a_stored_documents_fingerprint_back(index: IndexCore) -> None:
    """The fingerprint a document was stored with, read back whole; an unknown id raises."""
    given = Fingerprinter(CONFIG).fingerprint_one(A)
    index.add(doc("a", A), given)
    stored = index.fingerprint_of("a")
    assert np.array_equal(stored.signature, given.signature)
    assert np.array_equal(stored.shingles, given.shingles)
    assert (stored.content_hash, stored.seed) == (given.content_hash, given.seed)
    with pytest.raises(DocumentNotFoundError):
        index.fingerprint_of("missing")


def test_add_many_refuses_fingerprints_that_do_not_pair_with_documents(index: IndexCore) -> None:
    """Fewer or more fingerprints than documents is an InputError."""
    batch = Fingerprinter(CONFIG).fingerprint([A, B])
    with pytest.raises(InputError, match="fewer fingerprints"):
        index.add_many([doc("a", A), doc("b", B), doc("c", B)], batch)
    with pytest.raises(InputError, match="more fingerprints"):
        index.add_many([doc("a", A)], batch)
    assert len(index) == 0


@pytest.mark.parametrize("bad_id", ["", " \u3000", "a\tb", "nul\x00"])
def test_an_id_the_readers_refuse_is_refused_with_its_batch(index: IndexCore, bad_id: str) -> None:
    """An empty or blank id, or one with a control character, stores nothing of its batch: the
    library keeps the rule of the CLI's readers and the service (dedup.fields)."""
    with pytest.raises(InputError, match="id "):
        index.add_many([doc("a", A), doc(bad_id, B)])
    assert len(index) == 0


def test_a_fingerprint_from_another_config_is_refused(index: IndexCore) -> None:
    """A fingerprint with another permutation count cannot be stored or queried."""
    other = Fingerprinter(Config(num_perm=64)).fingerprint_one(A)
    with pytest.raises(InputError, match="64 permutations"):
        index.add(doc("a", A), other)
    with pytest.raises(InputError):
        index.query(other)


# --- querying ------------------------------------------------------------------------------------


def test_identical_normalised_text_is_a_duplicate(index: IndexCore) -> None:
    """Text equal after normalisation (case, punctuation) matches as a duplicate."""
    index.add(doc("a", A))
    (match,) = index.query(A.upper().replace(" ", " , ")).matches
    assert (match.id, match.relation, match.jaccard) == ("a", Relation.DUPLICATE, 1.0)


def test_a_lightly_edited_copy_is_a_near_duplicate(index: IndexCore) -> None:
    """A copy with one word in 60 changed matches as a near-duplicate with its exact Jaccard."""
    index.add(doc("a", A))
    (match,) = index.query(edited(A, 60)).matches
    assert match.relation is Relation.NEAR_DUPLICATE
    assert 0.8 <= match.jaccard < 1.0


def test_an_excerpt_of_a_stored_document_is_contained_in_it(index: IndexCore) -> None:
    """A query made of the first 70% of a stored text is contained_in it."""
    index.add(doc("a", A))
    (match,) = index.query(head(A, 0.7)).matches
    assert match.relation is Relation.CONTAINED_IN
    assert match.containment_a_in_b == 1.0
    assert match.jaccard < 0.8


def test_a_query_containing_a_stored_excerpt_contains_it(index: IndexCore) -> None:
    """A query extending a stored excerpt contains it."""
    index.add(doc("a", head(A, 0.7)))
    (match,) = index.query(A).matches
    assert (match.relation, match.containment_b_in_a) == (Relation.CONTAINS, 1.0)


def test_unrelated_documents_do_not_match(index: IndexCore) -> None:
    """A text sharing no shingles with the stored ones has no matches."""
    index.add(doc("a", A))
    assert index.query(B).matches == ()


def test_matches_come_best_first(index: IndexCore) -> None:
    """Order: duplicate, then near-duplicates by Jaccard, then containment by score, then id."""
    index.add_many(
        [
            doc("e-contains", head(A, 0.7)),
            doc("d-contained", A + " " + text(9, 40)),
            doc("c-near", edited(A, 50)),
            doc("b-near", edited(A, 100)),
            doc("a-dup", A),
        ]
    )
    matches = index.query(A).matches
    assert ids(matches) == ["a-dup", "b-near", "c-near", "d-contained", "e-contains"]
    assert [m.sort_key() for m in matches] == sorted(m.sort_key() for m in matches)


def test_the_threshold_can_be_lowered_per_query(index: IndexCore) -> None:
    """A heavier edit below the configured threshold matches at a lower per-query threshold."""
    index.add(doc("a", A))
    heavy = edited(A, 20)
    assert index.query(heavy).matches == ()
    assert ids(index.query(heavy, threshold=0.4).matches) == ["a"]


def test_a_threshold_outside_zero_to_one_is_refused(index: IndexCore) -> None:
    """threshold must be in (0, 1]."""
    with pytest.raises(ConfigError):
        index.query(A, threshold=1.5)


def test_an_empty_text_matches_nothing(index: IndexCore) -> None:
    """A text without a token is stored but neither matches nor is matched."""
    index.add_many([doc("empty", "  ... "), doc("empty2", "!")])
    assert index.query("?").matches == ()
    assert index.similar("empty").matches == ()
    assert len(index) == 2


def test_a_query_takes_a_text_a_fingerprint_or_a_document(index: IndexCore) -> None:
    """The three query forms give the same matches."""
    index.add(doc("a", A))
    fingerprint = Fingerprinter(CONFIG).fingerprint_one(A)
    results = [index.query(q).matches for q in (A, fingerprint, doc("q", A))]
    assert results[0] == results[1] == results[2] != ()


def test_a_document_query_never_matches_its_own_stored_version(index: IndexCore) -> None:
    """Querying with a stored Document skips the stored document with the same id."""
    index.add_many([doc("a", A), doc("b", A)])
    assert ids(index.query(doc("a", A)).matches) == ["b"]
    assert ids(index.similar("a").matches) == ["b"]


def test_since_and_until_keep_matches_published_in_the_window(index: IndexCore) -> None:
    """since is inclusive, until exclusive; undated documents fall outside any window."""
    index.add_many(
        [
            doc("april", A, "2024-04-30T23:59:59Z"),
            doc("may1", A, "2024-05-01T00:00:00Z"),
            doc("may2", A, "2024-05-02T10:00:00Z"),
            doc("undated", A),
        ]
    )
    assert ids(index.query(A, since="2024-05-01").matches) == ["may1", "may2"]
    assert ids(index.query(A, until="2024-05-02").matches) == ["april", "may1"]
    assert len(index.query(A).matches) == 4


def test_window_bounds_are_read_as_instants_not_compared_as_spelled(index: IndexCore) -> None:
    """A bound with an offset is converted to UTC, and one with a fraction of a second
    rounds up to the stored dates' whole seconds, for query and similar alike."""
    index.add_many(
        [doc("noon", A, "2024-05-01T12:00:00Z"), doc("other", A, "2024-05-01T12:00:01Z")]
    )
    assert ids(index.query(A, since="2024-05-01T14:00:00+02:00").matches) == ["noon", "other"]
    assert ids(index.query(A, since="2024-05-01T12:00:00.6Z").matches) == ["other"]
    assert ids(index.query(A, until="2024-05-01T12:00:00.5Z").matches) == ["noon"]
    assert ids(index.similar("other", until="2024-05-01T14:00:00.5+02:00").matches) == ["noon"]


def test_a_window_bound_that_is_no_date_is_an_input_error_naming_it(index: IndexCore) -> None:
    with pytest.raises(InputError, match="until"):
        index.query(A, until="tomorrow")


def test_exclude_same_source_drops_matches_from_the_query_source(index: IndexCore) -> None:
    """With exclude_same_source, only other outlets' copies match a Document query."""
    index.add_many([doc("x1", A, source="x"), doc("y1", A, source="y"), doc("n", A)])
    query = doc("x2", A, source="x")
    assert ids(index.query(query, exclude_same_source=True).matches) == ["n", "y1"]
    assert ids(index.similar("x1", exclude_same_source=True).matches) == ["n", "y1"]


def test_exclude_same_source_needs_a_document_query(index: IndexCore) -> None:
    """A bare text has no source to compare, so exclude_same_source is an InputError."""
    with pytest.raises(InputError, match="Document"):
        index.query(A, exclude_same_source=True)


def test_candidates_are_unverified_bucket_neighbours(index: IndexCore) -> None:
    """candidates() lists documents sharing a bucket, even those that then fail verification."""
    index.add_many([doc("a", A), doc("heavy", edited(A, 15)), doc("b", B)])
    assert index.candidates(A).ids == ("a", "heavy")
    assert ids(index.query(A).matches) == ["a"]


def test_a_hot_bucket_is_read_only_up_to_the_cap(backends: Backends) -> None:
    """Buckets with more documents than bucket_cap are cut short and counted as truncated."""
    index = backends.open(bucket_cap=3)
    index.add_many([doc(f"copy{i}", A) for i in range(5)])
    result = index.query(A)
    assert ids(result.matches) == ["copy0", "copy1", "copy2"]
    # Every band bucket and the exact-duplicate bucket hold all five copies.
    assert result.truncated_buckets == CONFIG.bands + 1
    assert result.truncated


def test_below_the_cap_nothing_is_truncated(index: IndexCore) -> None:
    """With the default cap, every copy is read and nothing is reported truncated."""
    index.add_many([doc(f"copy{i}", A) for i in range(5)])
    result = index.query(A)
    assert (len(result.matches), result.truncated_buckets, result.candidates) == (5, 0, 5)


def test_bucket_cap_must_be_positive(backends: Backends) -> None:
    """A bucket cap below one is a ConfigError."""
    with pytest.raises(ConfigError):
        backends.open(bucket_cap=0)


# --- removing --------------------------------------------------------------------------------


def test_remove_deletes_the_document_and_its_buckets(index: IndexCore) -> None:
    """A removed document is gone from len, in, get, candidates and queries."""
    index.add_many([doc("a", A), doc("b", B)])
    index.remove("a")
    assert (len(index), "a" in index) == (1, False)
    with pytest.raises(DocumentNotFoundError):
        index.get("a")
    assert index.candidates(A).ids == ()


def test_removing_an_unknown_id_raises_document_not_found(index: IndexCore) -> None:
    """remove() of an id that is not stored raises DocumentNotFoundError (a KeyError)."""
    with pytest.raises(KeyError, match="nope"):
        index.remove("nope")


def test_a_removed_id_can_be_added_again(index: IndexCore) -> None:
    """After remove, the same id is ADDED again and matches again."""
    index.add(doc("a", A))
    index.remove("a")
    assert index.add(doc("a", A)) is AddOutcome.ADDED
    assert ids(index.query(A).matches) == ["a"]


# --- transactions ------------------------------------------------------------------------------


def test_an_exception_inside_atomic_leaves_nothing_behind(index: IndexCore) -> None:
    """Writes inside a failed atomic() block are rolled back: no document, no bucket entry."""
    index.add(doc("keep", B))
    with pytest.raises(RuntimeError), index.atomic():
        index.add(doc("a", A))
        index.remove("keep")
        raise RuntimeError("crash")
    assert list(index) == ["keep"]
    assert index.candidates(A).ids == ()
    assert index.cluster_of("keep") == "keep"


def test_a_failing_nested_block_rolls_back_only_its_own_writes(index: IndexCore) -> None:
    """A nested atomic() is a savepoint: its failure keeps the outer block's writes."""
    with index.atomic():
        index.add(doc("outer", A))
        with pytest.raises(RuntimeError), index.atomic():
            index.add(doc("inner", B))
            raise RuntimeError("inner crash")
    assert list(index) == ["outer"]
    assert index.candidates(B).ids == ()


def test_a_batch_failing_after_its_first_chunk_stores_nothing(index: IndexCore) -> None:
    """add_many is all or nothing: a bad item after a whole chunk of good documents rolls back."""
    good: list[Document | str] = [doc(f"d{i}", text(i, 6)) for i in range(CHUNK)]
    with pytest.raises(InputError):
        index.add_many([*good, "not a document"])  # type: ignore[list-item]
    assert len(index) == 0
    assert index.candidates(text(5, 6)).ids == ()


def test_fingerprints_are_copied_not_referenced(index: IndexCore) -> None:
    """Changing a fingerprint's arrays after adding it does not change the index."""
    fingerprint = Fingerprinter(CONFIG).fingerprint_one(A)
    index.add(doc("a", A), fingerprint)
    fingerprint.shingles[:] = np.uint64(0)
    assert ids(index.query(A).matches) == ["a"]
