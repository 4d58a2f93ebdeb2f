"""The bulk job as a library: run_bulk over documents in memory."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dedup import Config, Document, Fingerprinter
from dedup.bulk import BulkOptions, CandidatePairs, PairVerifier, ShingleSpool, run_bulk
from dedup.bulk.verify import _chunk_starts
from dedup.synth import char_noise
from dedup.types import Relation
from dedup.verify import RELATIONS


def _reprint(text: str, keep: float, footer: str) -> str:
    paragraphs = text.split("\n\n")
    kept = paragraphs[: max(1, int(len(paragraphs) * keep))]
    return "\n\n".join(kept) + "\n\n" + footer


@pytest.fixture
def corpus(long_english_articles: list[str]) -> list[Document]:
    """Ten originals; the first three reprinted (cut, new footer), one reprinted twice."""
    originals = long_english_articles[:10]
    docs = [Document(id=f"orig-{i}", text=t) for i, t in enumerate(originals)]
    docs.append(Document(id="copy-0", text=_reprint(originals[0], 1.0, "Follow us on X")))
    docs.append(Document(id="copy-1", text=_reprint(originals[1], 0.5, "© 2024 Outlet")))
    docs.append(Document(id="copy-2a", text=_reprint(originals[2], 0.9, "Share this")))
    docs.append(Document(id="copy-2b", text=originals[2]))
    return docs


def _clusters(result: object) -> dict[str, str]:
    ids = result.ids  # type: ignore[attr-defined]
    return {ids[i]: ids[c] for i, c in enumerate(result.canon.tolist())}  # type: ignore[attr-defined]


def test_reprints_join_their_original(corpus: list[Document]) -> None:
    """Each reprint lands in the cluster of the article it copies."""
    clusters = _clusters(run_bulk(corpus, Config(), BulkOptions(jobs=1)))
    assert clusters["copy-0"] == clusters["orig-0"]
    assert clusters["copy-1"] == clusters["orig-1"]
    assert clusters["copy-2a"] == clusters["orig-2"] == clusters["copy-2b"]


def test_unrelated_articles_stay_apart(corpus: list[Document]) -> None:
    """Articles that were not copied are singletons."""
    clusters = _clusters(run_bulk(corpus, Config(), BulkOptions(jobs=1)))
    assert len({clusters[f"orig-{i}"] for i in range(10)}) == 10


def test_identical_texts_are_duplicates(corpus: list[Document]) -> None:
    """Two documents with the same text are related as duplicate."""
    result = run_bulk(corpus, Config(), BulkOptions(jobs=1))
    pairs = {
        (result.ids[a], result.ids[b]): RELATIONS[r]
        for a, b, r in zip(
            result.pairs.left.tolist(),
            result.pairs.right.tolist(),
            result.pairs.relation.tolist(),
            strict=True,
        )
    }
    assert pairs[("orig-2", "copy-2b")] is Relation.DUPLICATE


def test_cut_reprint_is_contained_in_its_source(corpus: list[Document]) -> None:
    """A reprint keeping half of the paragraphs is contained in the original."""
    result = run_bulk(corpus, Config(), BulkOptions(jobs=1))
    ids = result.ids
    for k in range(len(result.pairs)):
        a, b = ids[int(result.pairs.left[k])], ids[int(result.pairs.right[k])]
        if (a, b) == ("orig-1", "copy-1"):
            assert RELATIONS[int(result.pairs.relation[k])] is Relation.CONTAINS
            assert result.pairs.b_in_a[k] > 0.9
            return
    pytest.fail("the cut reprint was not paired with its original")


def test_an_ocr_noised_whole_copy_is_a_near_duplicate_pair(article: str) -> None:
    """A whole copy with 1 % of its characters changed keeps about 0.78 of its shingles each
    way (Jaccard 0.64): the pairs file calls it a copy, not an excerpt, and it joins the
    original's cluster."""
    noisy = char_noise(article, random.Random(1), 0.01)
    docs = [Document("original", article), Document("ocr", noisy)]
    result = run_bulk(docs, Config(), BulkOptions(jobs=1))
    assert len(result.pairs) == 1
    assert result.pairs.jaccard[0] < 0.7
    assert RELATIONS[int(result.pairs.relation[0])] is Relation.NEAR_DUPLICATE
    clusters = _clusters(result)
    assert clusters["ocr"] == clusters["original"]


def test_canonical_is_the_earliest_published(long_english_articles: list[str]) -> None:
    """The earliest dated copy is the canonical, even when it comes last in the input."""
    text = long_english_articles[0]
    docs = [
        Document(id="late", text=text, published="2024-05-02T00:00:00Z"),
        Document(id="undated", text=text),
        Document(id="early", text=text, published="2024-05-01T00:00:00Z"),
    ]
    clusters = _clusters(run_bulk(docs, Config(), BulkOptions(jobs=1)))
    assert set(clusters.values()) == {"early"}


def test_results_do_not_depend_on_jobs(corpus: list[Document]) -> None:
    """One thread and two threads give identical clusters and pairs."""
    one = run_bulk(corpus, Config(), BulkOptions(jobs=1, batch_size=3))
    two = run_bulk(corpus, Config(), BulkOptions(jobs=2, batch_size=3))
    assert np.array_equal(one.canon, two.canon)
    assert np.array_equal(one.pairs.left, two.pairs.left)
    assert np.array_equal(one.pairs.right, two.pairs.right)
    assert np.array_equal(one.pairs.jaccard, two.pairs.jaccard)


def test_empty_documents_match_nothing() -> None:
    """Texts without a token are never paired, not even with each other."""
    docs = [Document(id=str(i), text=t) for i, t in enumerate(["", "  ", "...", "!!"])]
    result = run_bulk(docs, Config(), BulkOptions(jobs=1))
    assert len(result.pairs) == 0
    assert result.clusters == 4


def test_texts_without_a_word_are_counted() -> None:
    """The result counts the documents whose text has no word: blank, white space, dots."""
    texts = ["", "  ", "A text with words in it, a few of them.", "..."]
    result = run_bulk(
        [Document(str(i), t) for i, t in enumerate(texts)], Config(), BulkOptions(jobs=1)
    )
    assert result.empty_texts == 3


def test_no_documents_is_an_empty_result() -> None:
    """An empty input gives an empty, valid result."""
    result = run_bulk([], Config(), BulkOptions(jobs=1))
    assert result.ids == [] and result.clusters == 0 and len(result.pairs) == 0


def test_hot_bucket_pairs_only_with_best_ranked_members() -> None:
    """A bucket over the cap pairs each member with the top-ranked members only, and says so."""
    n = 12
    keys = np.zeros((n, 1), dtype=np.uint64)  # everyone collides in the single band
    rank = np.arange(n, dtype=np.int64)[::-1].copy()  # document 11 ranks first
    left, right, stats = CandidatePairs(max_bucket=3).find(keys, rank, np.ones(n, dtype=bool))
    assert stats.hot_buckets == 1 and stats.largest_bucket == n
    # Every pair involves one of the three best-ranked documents (11, 10, 9).
    assert all(a in (9, 10, 11) or b in (9, 10, 11) for a, b in zip(left, right, strict=True))
    # And every other document is paired with each of them.
    assert len(left) == 3 + (n - 3) * 3


def test_spool_reads_back_what_was_written(tmp_path: object) -> None:
    """Shingle sets come back from the spool exactly, in any selection."""
    rng = np.random.default_rng(0)
    sets = [np.sort(rng.integers(0, 2**63, size=k, dtype=np.uint64)) for k in (3, 0, 5, 2, 7)]
    with ShingleSpool(str(tmp_path)) as spool:
        for chunk in (sets[:2], sets[2:]):
            offsets = np.zeros(len(chunk) + 1, dtype=np.int64)
            np.cumsum([len(s) for s in chunk], out=offsets[1:])
            spool.append(np.concatenate(chunk), offsets)
        spool.seal()
        mapped = spool.mapped()
        for doc in (4, 0, 2, 1, 3):
            assert np.array_equal(mapped.set(doc), sets[doc])
        flat, offsets = spool.load(np.array([0, 2, 3, 4]))
        for k, doc in enumerate([0, 2, 3, 4]):
            assert np.array_equal(flat[offsets[k] : offsets[k + 1]], sets[doc])


def test_verification_does_not_depend_on_threads_chunks_or_reading(
    corpus: list[Document],
) -> None:
    """Verified pairs are the same with one thread and one chunk, walking the mapped spool, as
    with two threads and many chunks, or with sets read into memory chunk by chunk."""
    fingerprints = Fingerprinter(Config()).fingerprint([d.text for d in corpus])
    n = len(corpus)
    left, right = (a.ravel() for a in np.triu_indices(n, k=1))
    with ShingleSpool() as spool:
        spool.append(fingerprints.shingles, fingerprints.offsets)
        spool.seal()
        hashes = fingerprints.content_hashes
        one = PairVerifier(0.7).verify(left, right, spool, hashes)
        many = PairVerifier(0.7, chunk=5, jobs=2).verify(left, right, spool, hashes)
        small = spool.nbytes // 3  # under the spool's size: read, in chunks of a sixth
        read = PairVerifier(0.7, jobs=2, memory=small).verify(left, right, spool, hashes)
        exact = PairVerifier(0.7).measure(left, right, spool, hashes)
    assert len(one) > 0
    for other in (many, read):
        for name in ("left", "right", "jaccard", "a_in_b", "b_in_a", "relation"):
            assert np.array_equal(getattr(one, name), getattr(other, name))
    related = exact.select(exact.relation > 0)
    assert np.array_equal(one.left, related.left) and np.array_equal(one.jaccard, related.jaccard)


def test_candidates_do_not_depend_on_threads() -> None:
    """Pairing bands on two threads finds the same pairs and statistics as on one."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 40, size=(300, 8)).astype(np.uint64)
    rank = rng.permutation(300).astype(np.int64)
    eligible = np.ones(300, dtype=bool)
    one = CandidatePairs(max_bucket=6).find(keys, rank, eligible)
    two = CandidatePairs(max_bucket=6, jobs=2).find(keys, rank, eligible)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert one[2] == two[2] and one[2].hot_buckets > 0


def test_verification_chunks_hold_their_documents_within_the_memory_budget() -> None:
    """Each chunk's distinct documents fit the budget (unless one pair alone exceeds it)."""
    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 50, size=200).astype(np.int64)
    left = np.sort(rng.integers(0, 199, size=1000)).astype(np.int64)
    right = np.minimum(left + rng.integers(1, 60, size=1000), 199).astype(np.int64)
    budget = 400
    starts = _chunk_starts(left, right, sizes, budget, 10_000).tolist()
    assert starts[0] == 0 and starts[-1] == 1000 and len(starts) > 2
    for lo, hi in itertools.pairwise(starts):
        docs = np.unique(np.concatenate([left[lo:hi], right[lo:hi]]))
        assert int(sizes[docs].sum()) <= budget or hi - lo == 1


def test_verification_with_a_tiny_memory_budget_gives_the_same_pairs(
    corpus: list[Document],
) -> None:
    """A budget that forces many chunks changes nothing in the verified pairs."""
    fingerprints = Fingerprinter(Config()).fingerprint([d.text for d in corpus])
    left, right = (a.ravel() for a in np.triu_indices(len(corpus), k=1))
    with ShingleSpool() as spool:
        spool.append(fingerprints.shingles, fingerprints.offsets)
        spool.seal()
        hashes = fingerprints.content_hashes
        roomy = PairVerifier(0.7).verify(left, right, spool, hashes)
        tight = PairVerifier(0.7, memory=8 * 400).verify(left, right, spool, hashes)
    assert len(roomy) > 0
    assert np.array_equal(roomy.left, tight.left) and np.array_equal(roomy.right, tight.right)
    assert np.array_equal(roomy.jaccard, tight.jaccard)


def test_hot_buckets_pair_members_with_the_best_ranked_whatever_the_sort() -> None:
    """Spec by brute force: in every bucket, each member pairs with those of the bucket's
    ``max_bucket`` best-ranked members that rank before it (rank order, never sort order)."""
    rng = np.random.default_rng(4)
    n, bands, cap = 400, 4, 5
    keys = rng.integers(0, 12, size=(n, bands)).astype(np.uint64)  # buckets of ~33: hot
    rank = rng.permutation(n).astype(np.int64)
    expected: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[int, list[int]] = {}
        for doc in sorted(range(n), key=lambda d: rank[d]):
            buckets.setdefault(int(keys[doc, band]), []).append(doc)
        for members in buckets.values():
            for x, doc in enumerate(members):
                for other in members[: min(x, cap)]:
                    expected.add((min(doc, other), max(doc, other)))
    left, right, _ = CandidatePairs(max_bucket=cap).find(keys, rank, np.ones(n, dtype=bool))
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
