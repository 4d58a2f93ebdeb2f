"""Text reuse in the bulk job: --passages finds pairs that share passages, with offsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dedup import Config, Document
from dedup.bulk import BulkOptions, run_bulk
from dedup.cli import main
from dedup.reuse import ReuseCandidates
from dedup.synth import reuse_corpus
from dedup.types import Relation
from dedup.verify import RELATIONS
from tests.conftest import SAMPLE_DUMP, read_jsonl


def _shared(result: object) -> set[tuple[str, str]]:
    ids = result.ids  # type: ignore[attr-defined]
    pairs = result.pairs  # type: ignore[attr-defined]
    return {
        (ids[a], ids[b])
        for a, b, code in zip(
            pairs.left.tolist(), pairs.right.tolist(), pairs.relation.tolist(), strict=True
        )
        if RELATIONS[code] is Relation.SHARES_PASSAGES
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_reuse_is_found_and_nothing_else(seed: int) -> None:
    """On the seeded reuse corpus every planted pair shares passages, and no other pair does."""
    docs, gold = reuse_corpus(seed=seed)
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    planted = {tuple(sorted((g.a, g.b))) for g in gold}
    assert {tuple(sorted(p)) for p in _shared(result)} == planted


def test_passage_candidates_are_counted_apart_from_the_lsh_candidates() -> None:
    """The pairs sampled shingles propose are counted; the pairs sharing passages are among them."""
    docs, _ = reuse_corpus(seed=0)
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    assert result.passage_candidates is not None
    assert 0 < len(_shared(result)) <= result.passage_candidates
    assert run_bulk(docs, Config(), BulkOptions(jobs=1)).passage_candidates is None


def test_passage_offsets_point_into_both_original_texts() -> None:
    """Each reported passage's spans cut matching text out of both originals."""
    docs, _ = reuse_corpus(seed=2)
    texts = {d.id: d.text for d in docs}
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    assert result.passages is not None
    checked = 0
    for k, reuse in enumerate(result.passages):
        a_text = texts[result.ids[int(result.pairs.left[k])]]
        b_text = texts[result.ids[int(result.pairs.right[k])]]
        for passage in reuse.passages:
            a_words = a_text[passage.a[0] : passage.a[1]].lower().split()
            b_words = b_text[passage.b[0] : passage.b[1]].lower().split()
            overlap = len(set(a_words) & set(b_words)) / max(len(set(a_words)), 1)
            assert overlap > 0.6
            checked += 1
    assert checked > 0


def test_near_duplicates_carry_their_passages(long_english_articles: list[str]) -> None:
    """A verified near-duplicate pair keeps its relation and gains passages covering it."""
    story = long_english_articles[0]
    docs = [Document("a", story), Document("b", story + "\n\nA closing line from the reprint.")]
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    assert result.passages is not None and len(result.pairs) == 1
    assert RELATIONS[int(result.pairs.relation[0])] is Relation.NEAR_DUPLICATE
    assert result.passages[0].coverage_a > 0.95


def test_sample_dump_election_articles_share_passages() -> None:
    """In the sample, the two election-day articles share passages (and only they do)."""
    from dedup.io import read_documents

    docs = list(read_documents([str(SAMPLE_DUMP)]))
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    assert _shared(result) == {("sample_dump-08", "sample_dump-09")}


def test_candidates_need_enough_shared_samples() -> None:
    """Documents sharing fewer sampled shingles than min_shared are not candidates."""
    candidates = ReuseCandidates(sample_mod=1, min_shared=2)
    hashes = np.array([1, 1, 2, 2, 3, 3], dtype=np.uint64)
    docs = np.array([0, 1, 0, 1, 0, 2], dtype=np.int64)
    left, right, shared = candidates.pairs(hashes, docs)
    assert list(zip(left.tolist(), right.tolist(), shared.tolist(), strict=True)) == [(0, 1, 2)]


def test_frequent_shingles_are_ignored() -> None:
    """A sampled shingle in more than max_df documents proposes nothing."""
    candidates = ReuseCandidates(sample_mod=1, min_shared=1, max_df=3)
    hashes = np.full(4, 7, dtype=np.uint64)
    left, _, _ = candidates.pairs(hashes, np.arange(4, dtype=np.int64))
    assert left.size == 0


def test_passages_in_pairs_jsonl_leave_boilerplate_out(tmp_path: Path) -> None:
    """`dedup bulk --passages --strip-boilerplate` writes passages, none of them a footer."""
    args = ["bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--passages", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--strip-boilerplate"])
    assert result.exit_code == 0
    pairs = read_jsonl(tmp_path / "o" / "pairs.jsonl")
    assert [(p["a"], p["b"], p["relation"]) for p in pairs] == [
        ("sample_dump-08", "sample_dump-09", "shares_passages")
    ]
    assert len(pairs[0]["passages"]) == 2  # type: ignore[arg-type]
    # Without stripping, the shared footer lines align as a third passage.
    CliRunner().invoke(main, [*args[:3], str(tmp_path / "raw"), *args[4:]])
    raw = read_jsonl(tmp_path / "raw" / "pairs.jsonl")
    assert len(raw[0]["passages"]) == 3  # type: ignore[arg-type]


def test_an_excerpt_lsh_misses_joins_its_article_with_passages(
    long_english_articles: list[str],
) -> None:
    """A short excerpt of a long article (containment 1, Jaccard about 0.1) is rarely an LSH
    candidate; the sampled shingles propose it, and its whole-text relation makes it a verified
    pair and a member of the article's cluster, as an LSH candidate's would."""
    article = "\n\n".join(long_english_articles[:6])
    excerpt = long_english_articles[2]
    docs = [Document("article", article), Document("excerpt", excerpt)]
    plain = run_bulk(docs, Config(), BulkOptions(jobs=1))
    assert len(plain.pairs) == 0  # the premise: LSH did not propose this pair
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, passages=True))
    assert RELATIONS[int(result.pairs.relation[0])] is Relation.CONTAINS
    assert result.canon.tolist() == [0, 0]
    assert result.alike_from_passage_candidates == 1


def test_excerpts_alone_join_an_excerpt_lsh_misses_without_aligning(
    long_english_articles: list[str],
) -> None:
    """--excerpts: the same whole-text pair and cluster as with passages, and no passages."""
    docs = [
        Document("article", "\n\n".join(long_english_articles[:6])),
        Document("excerpt", long_english_articles[2]),
    ]
    result = run_bulk(docs, Config(), BulkOptions(jobs=1, excerpts=True))
    assert RELATIONS[int(result.pairs.relation[0])] is Relation.CONTAINS
    assert (result.canon.tolist(), result.passages) == ([0, 0], None)
    assert (result.passage_candidates, result.alike_from_passage_candidates) == (1, 1)
