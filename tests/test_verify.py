"""Specification of dedup.verify: exact set measures and the relation they imply."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Config, Fingerprinter, Relation, Similarity
from dedup.synth import char_noise
from dedup.verify import RELATIONS, classify, containment, jaccard, relation_floor


def u64(*values: int) -> np.ndarray:
    return np.array(sorted(set(values)), dtype=np.uint64)


def test_measures_of_hand_made_sets():
    """For A = {1, 2, 3, 4} and B = {3, 4, 5}: Jaccard 2/5, A in B 2/4, B in A 2/3."""
    s = Similarity.of(u64(1, 2, 3, 4), u64(3, 4, 5))
    assert s == Similarity(jaccard=2 / 5, containment_a_in_b=2 / 4, containment_b_in_a=2 / 3)


def test_identical_and_disjoint_sets():
    """Identical sets measure 1 everywhere, disjoint sets 0 everywhere."""
    assert Similarity.of(u64(1, 2, 3), u64(1, 2, 3)) == Similarity(1.0, 1.0, 1.0)
    assert Similarity.of(u64(1, 2), u64(3, 4)) == Similarity(0.0, 0.0, 0.0)


def test_full_64_bit_values():
    """Hashes above 2**63 compare as unsigned values."""
    big = (1 << 64) - 1
    assert Similarity.of(u64(1, 1 << 63, big), u64(1 << 63, big)).jaccard == 2 / 3


@pytest.mark.parametrize(
    ("a", "b"), [(u64(), u64()), (u64(), u64(1, 2)), (u64(1, 2), u64())], ids=["both", "a", "b"]
)
def test_empty_sets_measure_zero(a, b):
    """An empty set has no similarity to anything, itself included (no division by zero)."""
    assert Similarity.of(a, b) == Similarity(0.0, 0.0, 0.0)


def test_from_counts_agrees_with_of():
    """``from_counts`` gives the same measures from the intersection and set sizes."""
    a, b = u64(*range(10)), u64(*range(5, 20))
    assert Similarity.from_counts(5, 10, 15) == Similarity.of(a, b)


def test_module_helpers():
    """``jaccard`` and ``containment`` are the corresponding measures of ``Similarity.of``."""
    a, b = u64(1, 2, 3, 4), u64(3, 4, 5)
    assert jaccard(a, b) == 2 / 5
    assert containment(a, b) == 2 / 4
    assert containment(b, a) == 2 / 3


# --- Relation precedence -------------------------------------------------------------------


def test_identical_content_wins_over_everything():
    """Equal content hashes make a duplicate whatever the set measures say."""
    assert Similarity(0.0, 0.0, 0.0).relation(0.8, identical=True) is Relation.DUPLICATE
    assert Similarity(1.0, 1.0, 1.0).relation(0.8, identical=True) is Relation.DUPLICATE


def test_jaccard_wins_over_containment():
    """A pair above the threshold in Jaccard is a near-duplicate even if containment is higher."""
    assert Similarity(0.85, 0.9, 0.95).relation(0.8) is Relation.NEAR_DUPLICATE


def test_threshold_is_inclusive():
    """A measure exactly at the threshold reaches it."""
    assert Similarity(0.8, 0.8, 0.8).relation(0.8) is Relation.NEAR_DUPLICATE
    assert Similarity(0.5, 0.8, 0.5).relation(0.8) is Relation.CONTAINED_IN


def test_an_excerpt_is_contained_in_its_source_and_the_source_contains_it():
    """The direction of containment follows the larger containment."""
    assert Similarity(0.3, 0.95, 0.3).relation(0.8) is Relation.CONTAINED_IN
    assert Similarity(0.3, 0.3, 0.95).relation(0.8) is Relation.CONTAINS


def test_containment_both_ways_is_a_copy_whatever_the_jaccard():
    """Most of each text's shingles in the other is one text lightly changed throughout: a
    near-duplicate in both directions, though its Jaccard (about 0.64) is under the threshold."""
    assert Similarity(0.636, 0.782, 0.772).relation(0.7) is Relation.NEAR_DUPLICATE
    assert Similarity(0.636, 0.772, 0.782).relation(0.7) is Relation.NEAR_DUPLICATE


def test_an_excerpt_stays_contained_while_it_covers_less_than_the_threshold_of_its_source():
    """One containment high and the other just under the threshold is an excerpt, not a copy."""
    assert Similarity(0.69, 1.0, 0.69).relation(0.7) is Relation.CONTAINED_IN
    assert Similarity(0.69, 0.69, 1.0).relation(0.7) is Relation.CONTAINS


def test_classify_makes_every_pair_contained_both_ways_a_copy():
    """The bulk job's vectorised rule is the same: containment both ways is code 2."""
    codes = classify(
        np.array([0.636, 0.3, 0.3]),
        np.array([0.782, 0.95, 0.3]),
        np.array([0.772, 0.3, 0.95]),
        np.array([False, False, False]),
        0.7,
    )
    assert [RELATIONS[c] for c in codes.tolist()] == [
        Relation.NEAR_DUPLICATE,
        Relation.CONTAINED_IN,
        Relation.CONTAINS,
    ]


def test_below_threshold_is_no_relation():
    """A pair below the threshold in every measure has no relation."""
    assert Similarity(0.5, 0.7, 0.6).relation(0.8) is None


def test_relations_of_real_texts():
    """On texts: a copy is a duplicate, a light edit a near-duplicate, an excerpt contained."""
    story = " ".join(f"word{i} of the story number {i % 7}" for i in range(60))
    edited = story.replace("word30 ", "changed ")
    excerpt = " ".join(story.split()[100:250])
    fp = Fingerprinter(Config())
    a, copy, near, part = fp.fingerprint([story, story.upper(), edited, excerpt])

    def relation(x, y):
        s = Similarity.of(x.shingles, y.shingles)
        return s.relation(0.8, identical=x.content_hash == y.content_hash)

    assert relation(a, copy) is Relation.DUPLICATE
    assert relation(a, near) is Relation.NEAR_DUPLICATE
    assert relation(part, a) is Relation.CONTAINED_IN
    assert relation(a, part) is Relation.CONTAINS


def _measures(x: str, y: str) -> Similarity:
    a, b = Fingerprinter(Config()).fingerprint([x, y])
    return Similarity.of(a.shingles, b.shingles)


def test_an_ocr_noised_whole_copy_is_a_near_duplicate_both_ways(article: str) -> None:
    """A whole article with 1 % of its characters changed (OCR noise) is a copy of it, not an
    excerpt: each direction is ``near_duplicate``."""
    noisy = char_noise(article, random.Random(1), 0.01)
    forth, back = _measures(noisy, article), _measures(article, noisy)
    assert forth.jaccard < 0.7 <= min(forth.containment_a_in_b, forth.containment_b_in_a)
    assert forth.relation(0.7) is Relation.NEAR_DUPLICATE
    assert back.relation(0.7) is Relation.NEAR_DUPLICATE


def test_a_copy_with_shuffled_paragraphs_is_a_near_duplicate(article: str) -> None:
    """The same paragraphs in another order break the shingles at every seam, on both sides."""
    paragraphs = article.split("\n\n")
    random.Random(1).shuffle(paragraphs)
    shuffled = _measures("\n\n".join(paragraphs), article)
    assert shuffled.jaccard < 0.7
    assert shuffled.relation(0.7) is Relation.NEAR_DUPLICATE


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2000),
    st.integers(0, 2000),
    st.data(),
    st.sampled_from([0.5, 0.7, 0.8, 0.85, 0.9, 1.0, 0.3333]),
)
def test_relation_floor_never_excludes_a_pair_that_classify_relates(size_a, size_b, data, t):
    """An intersection below the floor never gets a relation from classify."""
    inter = data.draw(st.integers(0, min(size_a, size_b)))
    a = np.array([size_a])
    b = np.array([size_b])
    floor = int(relation_floor(a, b, np.array([False]), t)[0])
    union = size_a + size_b - inter
    codes = classify(
        np.array([inter / union if union else 0.0]),
        np.array([inter / size_a if size_a else 0.0]),
        np.array([inter / size_b if size_b else 0.0]),
        np.array([False]),
        t,
    )
    if inter < floor:
        assert codes[0] == 0
    if codes[0] > 0:
        assert inter >= floor


def test_relation_floor_of_identical_texts_is_zero():
    """Identical texts are related whatever their sets, so they need no shared shingle."""
    floor = relation_floor(np.array([500]), np.array([800]), np.array([True]), 0.7)
    assert floor.tolist() == [0]
