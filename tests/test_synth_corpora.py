"""Tests for dedup.synth, continued: the dedup, boilerplate and reuse corpora, every script."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

from dedup.synth import (
    OUTLETS,
    Article,
    boilerplate_corpus,
    boilerplate_corpus_detailed,
    dedup_corpus,
    reuse_corpus,
    write_jsonl,
)
from dedup.synth.transforms import CJK_RE, PARAGRAPH_SEP
from dedup.types import Document

SEP = PARAGRAPH_SEP


# --- dedup_corpus ------------------------------------------------------------------------------


def test_dedup_corpus_clusters_are_anchored_on_an_original(articles: list[Article]) -> None:
    """Every cluster id is an original in the corpus; reprints come later from another outlet."""
    records = dedup_corpus(0, articles=articles)
    by_id = {r.id: r for r in records}
    sizes: dict[str, int] = defaultdict(int)
    for r in records:
        original = by_id[r.cluster]
        sizes[r.cluster] += 1
        assert original.kind == "original" and original.origin == r.origin
        if r.kind == "reprint":
            assert r.document.source != original.document.source
            assert (r.document.published or "") > (original.document.published or "")
            assert "retitle" in r.transforms
    assert sum(r.kind == "original" for r in records) == 60
    assert 1 in sizes.values() and max(sizes.values()) >= 4


def test_dedup_corpus_hard_negatives_share_boilerplate_but_not_cluster(
    articles: list[Article],
) -> None:
    """Shared-boilerplate pairs end in the same footer yet are labelled as different stories."""
    records = dedup_corpus(0, articles=articles)
    pairs: dict[str, list[str]] = defaultdict(list)
    for r in records:
        for tag in r.tags:
            if tag.startswith("shared_boilerplate:"):
                pairs[tag].append(r.id)
    by_id = {r.id: r for r in records}
    assert len(pairs) == 4
    for a, b in pairs.values():
        ra, rb = by_id[a], by_id[b]
        assert ra.cluster != rb.cluster and ra.document.source == rb.document.source
        assert ra.text.split(SEP)[-1] == rb.text.split(SEP)[-1]
    assert any(t.startswith("same_site:") for r in records for t in r.tags)


# --- boilerplate_corpus ------------------------------------------------------------------------


def test_boilerplate_spans_are_exactly_the_injected_paragraphs(clean: list[Article]) -> None:
    """Removing gold and repeated spans leaves only paragraphs of the page's real article."""
    corpus = boilerplate_corpus_detailed(0, articles=clean)
    by_title = {a.title: set(a.paragraphs) for a in clean}
    for doc in corpus.documents:
        spans = corpus.boilerplate[doc.id] + corpus.repeated[doc.id]
        planted = {doc.text[s:e] for s, e in spans}
        for s, e in spans:
            assert doc.text[s:e].strip() == doc.text[s:e] != ""
            assert doc.text[max(0, s - 2) : s] in ("", SEP) and doc.text[e : e + 2] in ("", SEP)
        rest = [p for p in doc.text.split(SEP) if p not in planted]
        assert rest and set(rest) <= by_title[doc.title or ""]
        assert corpus.boilerplate[doc.id]


def test_boilerplate_templated_lines_differ_only_in_masked_parts(clean: list[Article]) -> None:
    """Per source, some boilerplate lines differ exactly but agree once digits/URLs are masked."""
    docs, gold = boilerplate_corpus(0, articles=clean)
    per_source: dict[str, list[Document]] = defaultdict(list)
    for d in docs:
        per_source[d.source or ""].append(d)
    for source, pages in per_source.items():
        assert len(pages) >= 5
        variants: dict[str, set[str]] = defaultdict(set)
        for d in pages:
            for s, e in gold[d.id]:
                variants[_mask(d.text[s:e])].add(d.text[s:e])
        assert any(len(v) > 1 for v in variants.values()), source
        assert any(len(v) == 1 and len(pages) > 1 for v in variants.values()), source


def _mask(line: str) -> str:
    line = re.sub(r"https?://\S+|[\w.-]+@[\w.-]+\.\w+", "<url>", line)
    return re.sub(r"\d+", "0", re.sub(r"@\w+", "@", line))


def test_boilerplate_corpus_keeps_legitimate_repeats_out_of_gold(clean: list[Article]) -> None:
    """The shared quote and wire paragraphs recur across sources and are never gold spans."""
    corpus = boilerplate_corpus_detailed(0, articles=clean)
    sources: dict[str, set[str]] = defaultdict(set)
    for doc in corpus.documents:
        gold = set(corpus.boilerplate[doc.id])
        for s, e in corpus.repeated[doc.id]:
            assert (s, e) not in gold
            sources[doc.text[s:e]].add(doc.source or "")
    assert len(sources) == 2 and all(len(v) >= 3 for v in sources.values())
    assert any(p.startswith("(AP) — ") for p in sources)


# --- reuse_corpus ------------------------------------------------------------------------------


def test_reuse_passages_are_the_claimed_substrings(clean: list[Article]) -> None:
    """Source spans lie in a's real text, planted spans in b hold a light edit of them."""
    docs, pairs = reuse_corpus(0, articles=clean)
    by_id = {d.id: d for d in docs}
    originals = {a.title: a.text for a in clean}
    assert len(pairs) == 20 and all(1 <= len(p.passages) <= 3 for p in pairs)
    for pair in pairs:
        a, b = by_id[pair.a], by_id[pair.b]
        assert (a.published or "") < (b.published or "")
        for (a_s, a_e), (b_s, b_e) in pair.passages:
            source, copy = a.text[a_s:a_e], b.text[b_s:b_e]
            assert source in originals[a.title or ""] and source not in originals[b.title or ""]
            assert copy.strip() == copy and SEP not in copy
            assert SequenceMatcher(None, source, copy, autojunk=False).ratio() > 0.85


def test_reuse_without_edits_plants_verbatim_copies(clean: list[Article]) -> None:
    """With zero edit and noise rates the planted text equals the source span exactly."""
    docs, pairs = reuse_corpus(3, articles=clean, edit_rate=(0.0, 0.0), noise_rate=(0.0, 0.0))
    by_id = {d.id: d for d in docs}
    for pair in pairs:
        for (a_s, a_e), (b_s, b_e) in pair.passages:
            assert by_id[pair.a].text[a_s:a_e] == by_id[pair.b].text[b_s:b_e]


# --- whole corpus, every script ----------------------------------------------------------------


def test_generators_cover_the_whole_corpus_including_cjk(clean: list[Article]) -> None:
    """At maximum size every generator uses every usable article, CJK ones included."""
    n = len(clean)
    stories = dedup_corpus(0, n_stories=n, articles=clean)
    per_source = (n - 2) // len(OUTLETS)
    pages, _ = boilerplate_corpus(0, len(OUTLETS), per_source, articles=clean)
    reuse_docs, _ = reuse_corpus(0, n_pairs=n // 2 - 1, n_unrelated=1, articles=clean)
    assert len({r.origin for r in stories}) == n
    for docs in ([r.document for r in stories], pages, reuse_docs):
        assert sum(bool(CJK_RE.search(d.text)) for d in docs) >= 5


def test_write_jsonl_writes_sorted_utf8_records(tmp_path: Path, clean: list[Article]) -> None:
    """Records round-trip with labels, keys sorted, non-ASCII kept as UTF-8 text."""
    records = dedup_corpus(0, n_stories=20, shared_boilerplate_pairs=1, articles=clean)
    path = tmp_path / "out.jsonl"
    assert write_jsonl(records, path) == len(records)
    raw = path.read_bytes().decode("utf-8")
    lines = [json.loads(line) for line in raw.splitlines()]
    assert [r["id"] for r in lines] == [r.id for r in records]
    assert all(list(r) == sorted(r) for r in lines)
    assert lines[0]["cluster"] == records[0].cluster and not raw.isascii()
