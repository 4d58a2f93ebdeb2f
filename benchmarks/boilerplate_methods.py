"""The removal methods the boilerplate benchmark compares, all over the same paragraphs.

* ours: :func:`dedup.boilerplate.strip_documents`, sources known or hidden;
* CCNet-style exact hashing: every paragraph whose normalised text (casefolded, punctuation-free,
  digits -> 0, as CCNet's ``normalize_for_dedup``) is in two or more documents is dropped;
* the trafilatura rule: a paragraph of at least 100 characters seen more than twice in the
  corpus is dropped everywhere ("corpus"), or as trafilatura applies it while streaming through
  its LRU cache, keeping the first three occurrences ("stream").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from dedup.boilerplate import BoilerplateModel, strip_documents
from dedup.normalize import tokenize
from dedup.paragraphs import Segmenter
from dedup.types import Document

Span = tuple[int, int]
Removal = Callable[[Sequence[Document]], list[list[Span]]]
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def ours(docs: Sequence[Document]) -> list[list[Span]]:
    """Our model, sources known."""
    return [s.removed for s in strip_documents(docs, BoilerplateModel())]


def ours_without_sources(docs: Sequence[Document]) -> list[list[Span]]:
    """Our model with every ``source`` hidden (one group for the whole corpus)."""
    return ours([replace(d, source=None) for d in docs])


def _paragraphs(docs: Sequence[Document]) -> list[list[tuple[Span, str]]]:
    split = Segmenter().split
    return [[((p.start, p.end), p.text) for p in split(d.text)] for d in docs]


def ccnet(docs: Sequence[Document]) -> list[list[Span]]:
    """CCNet-style: drop every paragraph whose normalised hash is in two or more documents."""
    paras = _paragraphs(docs)

    def key(text: str) -> str:
        return _DIGIT.sub("0", " ".join(tokenize(text).words))

    keyed = [[(span, key(text)) for span, text in doc] for doc in paras]
    seen = Counter(k for doc in keyed for k in {k for _, k in doc})
    return [[span for span, k in doc if seen[k] >= 2] for doc in keyed]


def _trafilatura_key(text: str) -> str | None:
    trimmed = _SPACE.sub(" ", text).strip()
    return trimmed if len(trimmed) >= 100 else None


def trafilatura_corpus(docs: Sequence[Document]) -> list[list[Span]]:
    """trafilatura's rule over the corpus: segments of 100+ characters seen more than twice."""
    paras = _paragraphs(docs)
    seen = Counter(k for doc in paras for _, t in doc if (k := _trafilatura_key(t)))
    return [[s for s, t in doc if (k := _trafilatura_key(t)) and seen[k] > 2] for doc in paras]


def trafilatura_stream(docs: Sequence[Document]) -> list[list[Span]]:
    """trafilatura as it runs: documents in order, a segment dropped once seen 3 times before."""
    seen: Counter[str] = Counter()
    out: list[list[Span]] = []
    for doc in _paragraphs(docs):
        removed: list[Span] = []
        for span, text in doc:
            key = _trafilatura_key(text)
            if key is None:
                continue
            if seen[key] > 2:
                removed.append(span)
            seen[key] += 1
        out.append(removed)
    return out


METHODS: list[tuple[str, Removal]] = [
    ("ours (per source)", ours),
    ("ours, sources hidden", ours_without_sources),
    ("CCNet exact hashing", ccnet),
    ("trafilatura rule, corpus", trafilatura_corpus),
    ("trafilatura rule, stream", trafilatura_stream),
]
