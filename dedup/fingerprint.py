"""Text -> shingle sets -> MinHash signatures, for a whole batch of documents at once.

This is the hot path of every dedup job. Per batch, Python does three cheap things per document
(an NFKC check, ``str.encode``, one slice) and three compiled kernels do the rest over flat
arrays: tokens and case folding (:func:`dedup._kernels.token_streams`), XXH64 shingle hashing
with sort-and-unique (:func:`dedup._kernels.shingle_sets`), and MinHash
(:func:`dedup._kernels.signatures`).

Signatures use datasketch's default ("affine32") scheme with the permutations datasketch draws
for the same ``seed`` and ``num_perm``; the 32-bit input hash of a shingle is the low half of its
XXH64. :meth:`Fingerprint.to_datasketch` therefore yields a ``LeanMinHash`` that compares and
indexes exactly like one datasketch would build from the same shingles.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from dedup import _kernels
from dedup.config import Config
from dedup.normalize import tables

#: Seed of every XXH64 shingle and content hash. Fixed: it is part of the stored format.
HASH_SEED = np.uint64(0)


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` uint32 permutation parameters datasketch's MinHash draws for this seed.

    Mirrors ``datasketch.MinHash(scheme="affine32")``; a test pins the two together.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' code points in one uint32 array, with per-text offsets."""
    parts = [np.frombuffer(t.encode("utf-32-le", "surrogatepass"), np.uint32) for t in texts]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([p.shape[0] for p in parts], out=offsets[1:])
    cps = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    return cps, offsets


class TokenStreams(NamedTuple):
    """A batch's normalised texts: document ``d`` is ``buf[offsets[d]:offsets[d + 1]]``."""

    buf: np.ndarray  # uint8 UTF-8
    offsets: np.ndarray  # int64[n + 1]
    token_starts: np.ndarray  # int64 byte offsets of every token start in buf
    token_offsets: np.ndarray  # int64[n + 1] into token_starts

    def text(self, d: int) -> str:
        """Document ``d``'s token stream as a string."""
        return bytes(self.buf[self.offsets[d] : self.offsets[d + 1]]).decode("utf-8")


def _splice(streams: TokenStreams, redo: TokenStreams, bad: np.ndarray) -> TokenStreams:
    """``streams`` with document ``bad[k]`` replaced by document ``k`` of ``redo``."""
    n = streams.offsets.shape[0] - 1
    n_bytes = np.diff(streams.offsets)
    n_bytes[bad] = np.diff(redo.offsets)
    n_tokens = np.diff(streams.token_offsets)
    n_tokens[bad] = np.diff(redo.token_offsets)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_bytes, out=offsets[1:])
    token_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_tokens, out=token_offsets[1:])
    buf = np.empty(offsets[n], dtype=np.uint8)
    starts = np.empty(token_offsets[n], dtype=np.int64)

    def copy(src: TokenStreams, lo: int, hi: int, dest: int) -> None:
        # Documents lo..hi-1 of src become documents dest.. of the result.
        end = dest + hi - lo
        buf[offsets[dest] : offsets[end]] = src.buf[src.offsets[lo] : src.offsets[hi]]
        shift = offsets[dest] - src.offsets[lo]
        part = src.token_starts[src.token_offsets[lo] : src.token_offsets[hi]]
        starts[token_offsets[dest] : token_offsets[end]] = part + shift

    done = 0
    for k, d in enumerate(bad.tolist()):
        copy(streams, done, d, done)
        copy(redo, k, k + 1, d)
        done = d + 1
    copy(streams, done, n, done)
    return TokenStreams(buf, offsets, starts, token_offsets)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One document's fingerprint: what the index stores and verification compares."""

    signature: np.ndarray  # uint32[num_perm]
    shingles: np.ndarray  # sorted unique uint64 XXH64 shingle hashes
    content_hash: int  # XXH64 of the token stream: equal iff the normalised texts are equal
    seed: int

    @property
    def empty(self) -> bool:
        """True for a text without a single token; such a text matches nothing."""
        return bool(self.shingles.shape[0] == 0)

    def to_datasketch(self) -> Any:
        """This signature as a ``datasketch.LeanMinHash`` (scheme "affine32")."""
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=self.signature, scheme="affine32")


@dataclass(frozen=True, slots=True)
class FingerprintBatch:
    """Fingerprints of a batch, kept in flat arrays (row ``i`` is document ``i``)."""

    signatures: np.ndarray  # uint32[n, num_perm]
    shingles: np.ndarray  # uint64[total], document i at offsets[i]:offsets[i + 1]
    offsets: np.ndarray  # int64[n + 1]
    content_hashes: np.ndarray  # uint64[n]
    seed: int

    def __len__(self) -> int:
        return int(self.signatures.shape[0])

    def __getitem__(self, i: int) -> Fingerprint:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"fingerprint index {i} out of range for a batch of {n}")
        i %= n  # offsets[i]:offsets[i + 1] needs a non-negative i
        return Fingerprint(
            signature=self.signatures[i],
            shingles=self.shingles[self.offsets[i] : self.offsets[i + 1]],
            content_hash=int(self.content_hashes[i]),
            seed=self.seed,
        )

    def __iter__(self) -> Iterator[Fingerprint]:
        return (self[i] for i in range(len(self)))

    @property
    def sizes(self) -> np.ndarray:
        """Number of distinct shingles per document."""
        sizes: np.ndarray = np.diff(self.offsets)
        return sizes


class Fingerprinter:
    """Turns texts into fingerprints under one :class:`Config`.

    Set-up (permutations, Unicode tables) happens once here, so an instance is cheap to call
    many times and can be sent to worker processes.

    >>> fp = Fingerprinter(Config())
    >>> batch = fp.fingerprint(["The cat sat on the mat today.", "The cat sat on the mat today!"])
    >>> bool(batch.content_hashes[0] == batch.content_hashes[1])
    True
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._a, self._b = permutations(config.num_perm, config.seed)
        self._tables = tables()

    def token_streams(self, texts: Sequence[str]) -> TokenStreams:
        """The normalised texts of a batch as UTF-8 token streams (see :mod:`dedup.normalize`)."""
        buf, buf_offsets, starts, token_offsets, unsafe = self._run_tokens(*_code_points(texts))
        streams = TokenStreams(buf, buf_offsets, starts, token_offsets)
        if self.config.nfkc and unsafe.any():
            # Texts whose NFKC needs context go through unicodedata, then the kernel again; only
            # those texts: one such text must not double the cost of its whole batch.
            bad = np.flatnonzero(unsafe)
            fixed = [unicodedata.normalize("NFKC", texts[i]) for i in bad.tolist()]
            redo = TokenStreams(*self._run_tokens(*_code_points(fixed))[:4])
            streams = _splice(streams, redo, bad)
        return streams

    def _run_tokens(self, cps: np.ndarray, doc_offsets: np.ndarray) -> tuple[np.ndarray, ...]:
        tab = self._tables
        result: tuple[np.ndarray, ...] = _kernels.token_streams(
            cps,
            doc_offsets,
            tab.classes,
            tab.fold,
            tab.fold_ext,
            tab.nfkc_index,
            tab.nfkc_offsets,
            tab.nfkc_chars,
            tab.expansion,
            self.config.nfkc,
            self.config.casefold,
        )
        return result

    def fingerprint(self, texts: Sequence[str]) -> FingerprintBatch:
        """Fingerprints of a batch of texts; batches of a few hundred amortise the overhead."""
        cfg = self.config
        streams = self.token_streams(texts)
        shingles, offsets = _kernels.shingle_sets(
            streams.buf,
            streams.offsets,
            streams.token_starts,
            streams.token_offsets,
            cfg.ngram,
            cfg.shingle == "word",
            HASH_SEED,
        )
        sigs = _kernels.signatures(shingles, offsets, self._a, self._b)
        content = _kernels.content_hashes(streams.buf, streams.offsets, HASH_SEED)
        return FingerprintBatch(
            signatures=sigs,
            shingles=shingles,
            offsets=offsets,
            content_hashes=content,
            seed=cfg.seed,
        )

    def fingerprint_one(self, text: str) -> Fingerprint:
        """Fingerprint of a single text (a batch of one)."""
        return self.fingerprint([text])[0]
