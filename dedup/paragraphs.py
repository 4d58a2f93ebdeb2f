"""Paragraphs of a document, with their original offsets, and their fingerprints.

Segmentation rule (:class:`Segmenter`):

1. Paragraphs are separated by blank lines: a line break, optional white space, a line break,
   where a line break is ``\\r\\n``, ``\\n``, a lone ``\\r``, U+2028 or U+0085 (the breaks of
   rule 2); or by a Unicode paragraph separator (U+2029).
2. Fallback: a text without a single blank line but with at least ``min_lines`` (default 3)
   non-empty lines is split at every line break instead. Scraped pages often come one ``<p>``
   per line; a title line and one body line stay one paragraph.
3. A paragraph longer than ``max_chars`` (default 2,000, about four times the 99th percentile
   of news paragraphs) is cut into pieces of at most ``max_chars`` at sentence ends (terminal
   punctuation and closing quotes before white space, or a CJK full stop), packed greedily; a
   single sentence longer than that is cut at its last white space before the limit, or at
   the limit itself. Keeps paragraph fingerprints local, and alignment units comparable.
4. Every paragraph is trimmed of surrounding white space; empty ones are dropped.

``Paragraph.start``/``end`` are ``str`` indices into the original text, half-open, so
``text[p.start:p.end] == p.text``.

Fingerprints (:class:`ParagraphFingerprinter`), per paragraph: the *exact key*, the content hash
:class:`~dedup.fingerprint.Fingerprinter` computes for the paragraph text (XXH64 of its
normalised token stream: equal iff the normalised paragraphs are equal); the *masked key*, the
same hash of the paragraph's masked text (:mod:`dedup.mask`); and the MinHash signature when
the paragraph has at least ``min_tokens`` (default 8) tokens. Under that, a paragraph is at most
three word 5-shingles and a signature says little ("Share this article" would be one shingle).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dedup import _kernels
from dedup.config import Config
from dedup.fingerprint import HASH_SEED, Fingerprinter
from dedup.mask import Masker
from dedup.normalize import TokenStreams

# A line break is what the line fallback splits at: CRLF, LF, a lone CR (old Mac files), U+2028
# or NEL. A blank line is two of them with nothing but other white space between; a lone CR is
# one only when no LF follows it, so that one CRLF is never two breaks. That pattern takes three
# times as long as one of LFs alone (68-77 us against 23-28 for a news article, by hand), which
# finds the same paragraphs in a text with no lone CR, U+2028 or NEL (CRLF's CR is white space
# between two LFs): :func:`_blank_lines` takes it for those, nearly every text.
_BREAK = r"(?:\r\n|\r(?!\n)|[\n\u2028\u0085])"
_BLANK_LINE = re.compile(f"{_BREAK}[^\\S\\n\\r\u2028\u0085]*{_BREAK}|\u2029")
_LF_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\u2029")
# And without U+2029, nearly every text: a pattern that starts with one character is scanned for
# it by the engine's fastest loop (a news article's split 0.22 M instructions against 0.42 M).
_LF_ONLY_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_LINE_BREAK = re.compile(_BREAK)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s)|[。！？][”」』]?")  # noqa: RUF001
_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph: ``text == original[start:end]``, white space trimmed."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Segmenter:
    """Cuts a text into paragraphs by the module's rule."""

    max_chars: int = 2000
    min_lines: int = 3

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.min_lines < 2:
            raise ValueError("max_chars must be >= 1 and min_lines >= 2")

    def split(self, text: str) -> list[Paragraph]:
        """The paragraphs of ``text`` in order, with their original offsets."""
        blocks = _pieces(text, 0, len(text), _blank_lines(text))
        if len(blocks) == 1:
            start, end = blocks[0]
            lines = _pieces(text, start, end, _LINE_BREAK)
            if len(lines) >= self.min_lines:
                blocks = lines
        out: list[Paragraph] = []
        for start, end in blocks:
            for s, e in self._cut_long(text, start, end):
                out.append(Paragraph(s, e, text[s:e]))
        return out

    def _cut_long(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        while end - start > self.max_chars:
            limit = start + self.max_chars
            cut = 0
            for match in _SENTENCE_END.finditer(text, start, limit):
                cut = match.end()
            if cut <= start:
                spaces = [m.start() for m in _SPACE.finditer(text, start + 1, limit)]
                cut = spaces[-1] if spaces else limit
            yield _trim(text, start, cut)
            start, end = _trim(text, cut, end)
        if end > start:
            yield start, end


def _blank_lines(text: str) -> re.Pattern[str]:
    """The blank-line pattern for ``text``: the one of LFs alone unless it needs the whole."""
    if "\u2028" in text or "\u0085" in text:
        return _BLANK_LINE
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return _BLANK_LINE
    return _LF_BLANK_LINE if "\u2029" in text else _LF_ONLY_BLANK_LINE


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """Trimmed, non-empty ``(start, end)`` pieces of ``text[start:end]`` between separators."""
    out: list[tuple[int, int]] = []
    pos = start
    for match in separator.finditer(text, start, end):
        s, e = _trim(text, pos, match.start())
        if e > s:
            out.append((s, e))
        pos = match.end()
    s, e = _trim(text, pos, end)
    if e > s:
        out.append((s, e))
    return out


@dataclass(frozen=True, slots=True)
class ParagraphRow:
    """One paragraph as the index stores it; ``signature`` is None below ``min_tokens``."""

    doc_id: str
    start: int
    end: int
    exact: int
    masked: int
    signature: np.ndarray | None


@dataclass(frozen=True, slots=True)
class ParagraphTable:
    """Paragraph fingerprints of a batch of documents in flat arrays (row ``i``: paragraph ``i``).

    Paragraphs are in document order, then text order; document ``d`` owns rows
    ``doc_offsets[d]:doc_offsets[d + 1]``. Every array has one entry (row) per paragraph.
    ``signatures`` rows of paragraphs under ``min_tokens`` are all ``0xFFFFFFFF`` and
    ``signed`` is False for them; ``shingles`` (sorted unique uint64 per paragraph, at
    ``shingle_offsets``) are kept for signed paragraphs only, for exact verification.
    """

    doc: np.ndarray  # int64: index of the paragraph's document in the batch
    doc_offsets: np.ndarray  # int64[n_docs + 1]
    start: np.ndarray  # int64
    end: np.ndarray  # int64
    tokens: np.ndarray  # int64: number of tokens of the normalised paragraph
    exact: np.ndarray  # uint64
    masked: np.ndarray  # uint64
    signed: np.ndarray  # bool
    signatures: np.ndarray  # uint32[n, num_perm]
    shingles: np.ndarray  # uint64
    shingle_offsets: np.ndarray  # int64[n + 1]

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def rows(self, doc_ids: Sequence[str]) -> Iterator[ParagraphRow]:
        """One storable row per paragraph; ``doc_ids[d]`` names the batch's document ``d``."""
        for i in range(len(self)):
            yield ParagraphRow(
                doc_id=doc_ids[int(self.doc[i])],
                start=int(self.start[i]),
                end=int(self.end[i]),
                exact=int(self.exact[i]),
                masked=int(self.masked[i]),
                signature=self.signatures[i] if self.signed[i] else None,
            )

    def paragraph_shingles(self, i: int) -> np.ndarray:
        """Shingle set of paragraph ``i`` (empty when it is not signed)."""
        shingles: np.ndarray = self.shingles[self.shingle_offsets[i] : self.shingle_offsets[i + 1]]
        return shingles


class MaskedParagraphs(NamedTuple):
    """:meth:`ParagraphFingerprinter.masked_paragraphs`: the table, the masked text of every
    paragraph (row order), and where their token streams are."""

    table: ParagraphTable
    texts: list[str]
    streams: TokenStreams  # the paragraphs' streams, then those of masked texts that differ
    masked_rows: np.ndarray  # int64: the stream of each paragraph's masked text

    def masked_streams(self, rows: np.ndarray, groups: np.ndarray | None = None) -> TokenStreams:
        """The streams of these paragraphs' masked texts, or of ``groups`` of them joined
        (:meth:`dedup.normalize.TokenStreams.joined`)."""
        return self.streams.joined(self.masked_rows[np.asarray(rows, dtype=np.int64)], groups)


class ParagraphFingerprinter:
    """Segments documents and fingerprints all their paragraphs in one batch."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        segmenter: Segmenter | None = None,
        min_tokens: int = 8,
    ) -> None:
        self.config = config or Config()
        self.fingerprinter = Fingerprinter(self.config)
        self.segmenter = segmenter or Segmenter()
        self.masker = Masker(nfkc=self.config.nfkc)
        self.min_tokens = min_tokens

    def keys(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Content hashes and token counts of texts (a batch), by the Fingerprinter's rule."""
        streams, hashes = self._keyed_streams(texts)
        return hashes, np.diff(streams.token_offsets)

    def _keyed_streams(self, texts: Sequence[str]) -> tuple[TokenStreams, np.ndarray]:
        """The texts' token streams (without sources) and their content hashes."""
        streams = self.fingerprinter.token_streams(texts, spans=False)
        hashes: np.ndarray = _kernels.content_hashes(streams.buf, streams.offsets, HASH_SEED)
        return streams, hashes

    def fingerprint(self, texts: Sequence[str]) -> ParagraphTable:
        """Paragraph fingerprints of documents ``texts`` (batches of a few hundred are best)."""
        return self.fingerprint_masked(texts)[0]

    def fingerprint_masked(
        self, texts: Sequence[str], *, signatures: bool = True
    ) -> tuple[ParagraphTable, list[str]]:
        """The table, and the masked text of every paragraph (row order).

        ``signatures=False`` skips MinHash (the table's ``signatures`` then has no columns and
        ``shingles`` is empty): keys and masked texts are what a boilerplate model needs.
        """
        masked = self.masked_paragraphs(texts, signatures=signatures)
        return masked.table, masked.texts

    def masked_paragraphs(
        self, texts: Sequence[str], *, signatures: bool = True
    ) -> MaskedParagraphs:
        """:meth:`fingerprint_masked` with the token streams of the paragraphs' masked texts.

        Every paragraph and every masked text that differs from its paragraph is tokenised
        once, in one batch; the streams a caller fingerprints next (the signed paragraphs', the
        masked documents') are made of those (:meth:`MaskedParagraphs.masked_streams`) instead
        of tokenising the same text again.
        """
        per_doc = [self.segmenter.split(t) for t in texts]
        counts = [len(p) for p in per_doc]
        doc_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts, out=doc_offsets[1:])
        flat = [p for paras in per_doc for p in paras]
        para_texts = [p.text for p in flat]
        masked_texts = [self.masker.mask(t) for t in para_texts]
        # Most paragraphs have nothing to mask (the masker then returns the text itself).
        changed = [
            i for i, (m, t) in enumerate(zip(masked_texts, para_texts, strict=True)) if m is not t
        ]
        n = len(flat)
        streams, hashes = self._keyed_streams([*para_texts, *(masked_texts[i] for i in changed)])
        exact = hashes[:n].copy()
        tokens = np.diff(streams.token_offsets[: n + 1])
        masked = exact.copy()
        masked[changed] = hashes[n:]
        masked_rows = np.arange(n, dtype=np.int64)
        masked_rows[changed] = np.arange(n, n + len(changed), dtype=np.int64)
        signed = tokens >= self.min_tokens
        num_perm = self.config.num_perm if signatures else 0
        sigs = np.full((n, num_perm), 0xFFFFFFFF, dtype=np.uint32)
        sizes = np.zeros(n, dtype=np.int64)
        shingles = np.empty(0, dtype=np.uint64)
        if signatures:
            index = np.flatnonzero(signed)
            batch = self.fingerprinter.fingerprint_streams(streams.joined(index))
            sigs[index] = batch.signatures
            sizes[index] = batch.sizes
            shingles = batch.shingles
        shingle_offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sizes, out=shingle_offsets[1:])
        table = ParagraphTable(
            doc=np.repeat(np.arange(len(texts), dtype=np.int64), counts),
            doc_offsets=doc_offsets,
            start=np.array([p.start for p in flat], dtype=np.int64),
            end=np.array([p.end for p in flat], dtype=np.int64),
            tokens=tokens.astype(np.int64),
            exact=exact,
            masked=masked,
            signed=signed,
            signatures=sigs,
            shingles=shingles,
            shingle_offsets=shingle_offsets,
        )
        return MaskedParagraphs(table, masked_texts, streams, masked_rows)
