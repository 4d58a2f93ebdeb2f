"""Text -> shingle sets -> MinHash signatures, for a whole batch of documents at once.

This is the hot path of every dedup job. Per batch, Python only encodes each text to code points;
three compiled kernels do the rest over flat arrays: normalisation and tokens
(:func:`dedup.normalize.token_streams`), XXH64 shingle hashing with sort-and-unique
(:func:`dedup._kernels.shingle_sets`), and MinHash
(:func:`dedup._minhash_kernels.signatures`).

Signatures use datasketch's default ("affine32") scheme with the permutations datasketch draws
for the same ``seed`` and ``num_perm``; the 32-bit input hash of a shingle is the low half of its
XXH64. :meth:`Fingerprint.to_datasketch` therefore yields a ``LeanMinHash`` that compares and
indexes exactly like one datasketch would build from the same shingles.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup import _kernels, _minhash_kernels
from dedup._pickling import ArrayState, array_of, array_state
from dedup.config import Config
from dedup.normalize import TokenStreams, code_points, tables, token_streams

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


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One document's fingerprint: what the index stores and verification compares."""

    signature: np.ndarray  # uint32[num_perm]
    shingles: np.ndarray  # sorted unique uint64 XXH64 shingle hashes
    content_hash: int  # XXH64 of the token stream: equal iff the normalised texts are equal
    seed: int

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with its arrays as bytes (:mod:`dedup._pickling`): a service sends each
        post's fingerprint from the writer's process to a reader's."""
        state = (array_state(self.signature), array_state(self.shingles))
        return _fingerprint, (*state, self.content_hash, self.seed)

    @property
    def empty(self) -> bool:
        """True for a text without a single token; such a text matches nothing."""
        return bool(self.shingles.shape[0] == 0)

    def to_datasketch(self) -> Any:
        """This signature as a ``datasketch.LeanMinHash`` (scheme "affine32")."""
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=self.signature, scheme="affine32")


def _fingerprint(
    signature: ArrayState, shingles: ArrayState, content_hash: int, seed: int
) -> Fingerprint:
    """A :class:`Fingerprint` unpickled."""
    return Fingerprint(array_of(signature), array_of(shingles), content_hash, seed)


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

    def token_streams(self, texts: Sequence[str], spans: bool = True) -> TokenStreams:
        """The normalised texts of a batch as UTF-8 token streams (see :mod:`dedup.normalize`)."""
        cfg = self.config
        return token_streams(
            texts,
            nfkc=cfg.nfkc,
            casefold=cfg.casefold,
            fold_variants=cfg.fold_variants,
            spans=spans,
        )

    def fingerprint(self, texts: Sequence[str]) -> FingerprintBatch:
        """Fingerprints of a batch of texts; batches of a few hundred amortise the overhead."""
        return self.fingerprint_streams(self.token_streams(texts, spans=False))

    def fingerprint_streams(self, streams: TokenStreams) -> FingerprintBatch:
        """Fingerprints of texts already tokenised by :meth:`token_streams` (under this
        config's ``nfkc``, ``casefold`` and ``fold_variants``), one per stream."""
        cfg = self.config
        shingles, offsets = _kernels.shingle_sets(
            streams.buf,
            streams.offsets,
            streams.token_starts,
            streams.token_offsets,
            cfg.ngram,
            cfg.shingle == "word",
            HASH_SEED,
        )
        sigs = _minhash_kernels.signatures(shingles, offsets, self._a, self._b)
        content = _kernels.content_hashes(streams.buf, streams.offsets, HASH_SEED)
        return FingerprintBatch(
            signatures=sigs,
            shingles=shingles,
            offsets=offsets,
            content_hashes=content,
            seed=cfg.seed,
        )

    def content_hashes(self, texts: Sequence[str]) -> np.ndarray:
        """The content hashes alone (uint64, one per text): equal iff the normalised texts are
        equal, as :attr:`Fingerprint.content_hash`; no shingles nor signatures made."""
        streams = self.token_streams(texts, spans=False)
        hashes: np.ndarray = _kernels.content_hashes(streams.buf, streams.offsets, HASH_SEED)
        return hashes

    def fingerprint_one(self, text: str) -> Fingerprint:
        """Fingerprint of a single text: what a batch of one gives, in one compiled call
        (:func:`dedup._minhash_kernels.fingerprint_text`). A service's writer fingerprints each
        post alone, and four calls with their arrays and batch objects cost it about 20 us
        more a post (session 25 of ``docs/performance-log.md``)."""
        cfg, tab = self.config, self._tables
        cps, offsets = code_points([text])
        signature, shingles, content, unsafe = _minhash_kernels.fingerprint_text(
            cps,
            offsets,
            tab.arrays(),
            cfg.nfkc,
            cfg.casefold,
            cfg.fold_variants,
            cfg.ngram,
            cfg.shingle == "word",
            HASH_SEED,
            self._a,
            self._b,
        )
        if unsafe:  # its NFKC depends on neighbouring characters: the batch path has that
            return self.fingerprint([text])[0]
        return Fingerprint(signature, shingles, int(content), cfg.seed)
