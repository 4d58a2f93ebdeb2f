"""Helpers of the dedup.boilerplate tests: seeded articles, footers, the shipped sample."""

from __future__ import annotations

import random
from pathlib import Path

from dedup.io import read_documents
from dedup.types import Document

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_dump.txt"
SAMPLE_FOOTERS = {"Check out our Latest News and Follow us at Facebook", "Original Source"}
WORDS = (
    "river stone bridge market council harbour winter engine garden letter silver station "
    "painter doctor valley forest signal ladder museum kitchen island tower rocket camera "
    "orchard violin desert castle pilot farmer theatre anchor lantern meadow compass mirror "
    "thunder basket candle harvest glacier ferry cottage marble parade saddle timber canyon"
)
VOCABULARY = WORDS.split()
FOOTER = ["Share this article", "© 2024 The Daily Ledger. All rights reserved."]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def body(seed: int, paragraphs: int = 4, words: int = 40) -> list[str]:
    """Paragraphs of an article no other seed shares a paragraph with."""
    rng = random.Random(seed)
    return [sentence(rng, words) for _ in range(paragraphs)]


def page(doc_id: str, source: str | None, paragraphs: list[str]) -> Document:
    return Document(doc_id, "\n\n".join(paragraphs), source)


def removed_texts(doc: Document, spans: list[tuple[int, int]]) -> list[str]:
    return [doc.text[s:e] for s, e in spans]


def sample() -> list[Document]:
    return list(read_documents([str(SAMPLE)]))
