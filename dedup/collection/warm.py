"""Loading every compiled kernel a collection's verbs use, before the first request needs it.

numba compiles a kernel at its first call for each set of argument types and caches the
machine code on disk; a later process loads it from there, again at first call. A service that
warmed up with one check of a short text (the kernels of a post that matches nothing) left the
rest to its first clients: with the cache filled, 3-18 ms for each of a dozen kernels; on a
fresh install (nothing cached), at 100,000 stored documents, after a warm-up of 10.3 s, the
first post took 1.7 s and the first that matched a stored article 7.3 s (the alignment
kernels; 0.6 s of each was the writer reading its forms by masked key, now read as its
warm-up begins: :meth:`dedup.boilerplate._lookups.Lookups.catch_up`). With this
warm-up (13.7 s there) the first six posts took 3-14 ms (by hand, one run each).

:func:`exercise` runs the verbs on a scratch collection in memory, with articles made up to
reach every branch a kernel sits on: a footer that becomes boilerplate, near-duplicates, a
passage reused by another article, a replaced article, a deleted one whose copies are placed
again, and lookups among the dead rows they leave. A test runs a service's verbs on a real
file in a fresh interpreter after it and checks that no kernel is compiled or loaded any
more (``tests/test_collection_warm.py``).
"""

from __future__ import annotations

import threading

import numpy as np

from dedup._postings import Postings
from dedup.config import Config
from dedup.types import Document
from dedup.verify import Similarity

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_SOURCE = "warm-up"
# Kernels stay loaded for the life of the process: each config is exercised once in it (a
# service in threads opens a collection per reader; the tests open hundreds).
_EXERCISED: set[str] = set()
_LOCK = threading.Lock()


def exercise(config: Config) -> None:
    """Run every verb of a collection with ``config`` on a scratch one in memory, once per
    process and config (see the module docstring); nothing is written anywhere else."""
    with _LOCK:
        if config.id not in _EXERCISED:
            _run_verbs(config)
            _EXERCISED.add(config.id)


def _run_verbs(config: Config) -> None:
    from dedup.collection.core import Collection  # the core module calls this one

    footer = _paragraph(1000, 14)
    articles = [_article(k, footer) for k in range(4)]
    with Collection.open(":memory:", config) as scratch:
        for doc in articles:  # the footer is boilerplate from the third story on
            scratch.post(doc)
        copies = [_edited(articles[0], f"warm-copy-{k}", k) for k in (0, 1)]
        scratch.check(copies[0])
        for copy in copies:  # near-duplicates: their passages are aligned
            scratch.post(copy)
        reused = _article(10, footer, borrowed=articles[1].text.split("\n\n")[1])
        scratch.post(reused)  # shares a passage with another story
        scratch.get(copies[0].id)
        scratch.strip(copies[0].text, _SOURCE)
        scratch.post(_edited(articles[3], articles[3].id, 0))  # replaced: its rows die
        scratch.delete(articles[0].id)  # a cluster's canonical: its copies are placed again
        scratch.check(_article(11, footer))  # lookups among the dead rows
        scratch.post(_article(12, footer))
    # A busy key's dead carriers are counted, not gathered (Carriers.census): that takes more
    # carriers of one key than the scratch collection has.
    postings = Postings()
    postings.add(np.arange(4, dtype=np.uint64), np.arange(4, dtype=np.uint32))
    postings.count_in(np.arange(2, dtype=np.uint64), np.arange(2, dtype=np.int64))
    # Like for like measures stored fingerprints (read-only arrays) and texts cut anew
    # (writable) in every pairing, whichever documents a session's posts, gets and placings
    # meet: numba compiles the kernel once per pairing.
    writable = np.arange(3, dtype=np.uint64)
    readonly = writable.copy()
    readonly.flags.writeable = False
    for a in (writable, readonly):
        for b in (writable, readonly):
            Similarity.of(a, b)


def _word(n: int) -> str:
    """A made-up lower-case word (no digits or capitals: nothing for the masker to hide)."""
    k = len(_SYLLABLES)
    return _SYLLABLES[n % k] + _SYLLABLES[(n // k) % k] + _SYLLABLES[(n * 7 + 3) % k]


def _paragraph(seed: int, words: int) -> str:
    state = seed * 2654435761 % 2**32
    out = []
    for _ in range(words):
        state = (state * 1103515245 + 12345) % 2**31
        out.append(_word(state >> 8))
    return " ".join(out) + "."


def _article(k: int, footer: str, borrowed: str | None = None) -> Document:
    body = [_paragraph(10 * k + p, 45) for p in range(4)]
    if borrowed is not None:
        body[2] = borrowed
    published = f"2026-01-0{1 + k % 9}T00:00:00Z"
    return Document(f"warm-{k}", "\n\n".join([*body, footer]), _SOURCE, published)


def _edited(doc: Document, doc_id: str, word: int) -> Document:
    """``doc`` with word number ``word`` spelt backwards, under ``doc_id``."""
    words = doc.text.split(" ")
    words[word] = words[word][::-1]
    return Document(doc_id, " ".join(words), doc.source, doc.published, "edited")
