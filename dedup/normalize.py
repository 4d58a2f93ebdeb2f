"""Normalisation and tokenising, with a map back to the original text.

The rule, applied identically by the fast batch path (:mod:`dedup.fingerprint`) and by
:func:`tokenize` here (which also reports where each token came from):

1. Unicode NFKC (``Config.nfkc``): canonical and compatibility forms become one form, so NFC and
   NFD input, ligatures, full-width letters and non-breaking spaces compare equal.
2. Spelling variants (``Config.fold_variants``), on the NFKC form: invisible characters are
   deleted (Unicode's default-ignorable code points: soft hyphens, zero-width spaces and
   joiners, bidi marks, BOMs), and so are Arabic vowel marks (harakat) and the tatweel;
   Cyrillic io becomes ie and alef with hamza, madda or wasla plain alef. Deleted, not made
   separators: they sit inside words, and ``"Bundes\u00adregierung"`` must stay one word.
   A deleted character is in no token's span.
3. Full case folding (``Config.casefold``): ``"Straße"`` and ``"STRASSE"`` compare equal.
4. Tokens are maximal runs of word characters: letters, digits and combining marks (``_`` and
   everything else is a separator). Punctuation, quotes, dashes and all white space therefore
   only separate tokens, which unifies their variants (curly and straight quotes, dashes and
   hyphens, tabs and non-breaking spaces).
5. Han ideographs, kana, Bopomofo, Thai, Lao, Khmer and Myanmar characters are one token each:
   those scripts are written without spaces, so a "word" would otherwise be a whole sentence.

The normalised form of a text is its tokens joined by single spaces (the *token stream*).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from dedup import _kernels
from dedup._kernels import CLASS_MASK, SEP, SOLO, VARIANT
from dedup.unicode_tables import Tables, tables

__all__ = [
    "Tables",
    "TokenStreams",
    "Tokens",
    "tables",
    "token_streams",
    "tokenize",
    "tokenize_reference",
]


class Tokens:
    """The tokens of a text with the original character span of each.

    ``spans[i] = (start, end)`` is a half-open range of the *original* text such that
    ``text[start:end]`` is the source of ``words[i]`` (including any characters NFKC merged).

    :func:`tokenize` keeps the token stream as the compiled pass made it (UTF-8 bytes and each
    token's byte offset, :meth:`utf8`) and splits it into ``words`` only when they are asked
    for: aligning a text reads the bytes alone, and decoding them, splitting them into words
    and joining and encoding those again for the aligner took more than half as long as the
    compiled pass itself (a news article's report, ``docs/performance-log.md``, session 36).
    """

    __slots__ = ("_starts", "_utf8", "_words", "spans")

    def __init__(self, words: list[str], spans: np.ndarray) -> None:
        self._words: list[str] | None = words
        self._utf8: np.ndarray | None = None
        self._starts: np.ndarray | None = None
        self.spans = spans  # int64[n, 2]

    @classmethod
    def of_stream(cls, utf8: np.ndarray, starts: np.ndarray, spans: np.ndarray) -> Tokens:
        """Tokens given as their token stream: ``utf8`` (``uint8``), the tokens joined by single
        spaces, and ``starts``, the byte offset of each token in it."""
        tokens = cls.__new__(cls)
        tokens._words = None
        tokens._utf8, tokens._starts, tokens.spans = utf8, starts, spans
        return tokens

    @property
    def words(self) -> list[str]:
        """The normalised tokens."""
        if self._words is None:
            stream = self.stream
            self._words = stream.split(" ") if stream else []
        return self._words

    @property
    def stream(self) -> str:
        """The normalised text: the tokens joined by single spaces."""
        if self._words is None and self._utf8 is not None:
            return bytes(self._utf8).decode("utf-8")
        return " ".join(self.words)

    def utf8(self) -> tuple[np.ndarray, np.ndarray]:
        """The token stream as UTF-8 bytes (``uint8``) and each token's byte offset in it."""
        if self._utf8 is None or self._starts is None:
            buf = np.frombuffer(self.stream.encode("utf-8"), dtype=np.uint8)
            starts = np.empty(len(self), dtype=np.int64)
            if starts.shape[0]:  # tokens never contain a space
                starts[0] = 0
                starts[1:] = np.flatnonzero(buf == 0x20) + 1
            self._utf8, self._starts = buf, starts
        return self._utf8, self._starts

    def __len__(self) -> int:
        if self._words is not None:
            return len(self._words)
        return 0 if self._starts is None else int(self._starts.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tokens):
            return NotImplemented
        return self.words == other.words and np.array_equal(self.spans, other.spans)

    __hash__ = None  # type: ignore[assignment]  # a list and an array: unhashable, as before

    def __repr__(self) -> str:
        return f"Tokens(words={self.words!r}, spans={self.spans!r})"

    def __reduce__(self) -> tuple[Callable[[str, np.ndarray], Tokens], tuple[str, np.ndarray]]:
        # Pickled as one string, not a list of words: the service sends a post's tokens to
        # and from its reader processes. Measured on a news article: 23 us to pickle instead
        # of 47, 41 us to unpickle instead of 55.
        return _tokens_from_stream, (self.stream, self.spans)


def _tokens_from_stream(stream: str, spans: np.ndarray) -> Tokens:
    return Tokens(stream.split(" ") if stream else [], spans)


class TokenStreams(NamedTuple):
    """A batch's normalised texts: document ``d`` is ``buf[offsets[d]:offsets[d + 1]]``.

    ``sources[k]`` is the span, in the original text of its document, that token ``k`` came
    from; it is exact for documents normalised character by character and -1 for the rare
    documents that needed whole-text NFKC (``exact[d]`` False): use :func:`tokenize` for those.
    Empty (no rows) when the streams were made with ``spans=False``.
    """

    buf: np.ndarray  # uint8 UTF-8
    offsets: np.ndarray  # int64[n + 1]
    token_starts: np.ndarray  # int64 byte offsets of every token start in buf
    token_offsets: np.ndarray  # int64[n + 1] into token_starts
    sources: np.ndarray  # int64[tokens, 2] original character spans
    exact: np.ndarray  # bool[n]

    def text(self, d: int) -> str:
        """Document ``d``'s token stream as a string."""
        return bytes(self.buf[self.offsets[d] : self.offsets[d + 1]]).decode("utf-8")

    def joined(self, rows: np.ndarray, groups: np.ndarray | None = None) -> TokenStreams:
        """The streams of documents ``rows``, in that order; with ``groups``, stream ``g`` is
        those of ``rows[groups[g]:groups[g + 1]]`` joined, which is the stream of their texts
        joined by white space. Without token sources (fingerprinting needs none).

        What a batch tokenised once yields again: a paragraph's stream and its document's
        need not be made twice (:class:`dedup.paragraphs.ParagraphFingerprinter`)."""
        rows = np.asarray(rows, dtype=np.int64)
        if groups is None:
            groups = np.arange(rows.shape[0] + 1, dtype=np.int64)
        buf, offsets, starts, token_offsets = _kernels.joined_streams(
            self.buf, self.offsets, self.token_starts, self.token_offsets, rows, groups
        )
        n = groups.shape[0] - 1
        exact = np.ones(n, dtype=bool)  # a stream is inexact if one of its parts is
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(groups))
        exact[owner[~self.exact[rows]]] = False
        sources = np.empty((0, 2), dtype=np.int64)
        return TokenStreams(buf, offsets, starts, token_offsets, sources, exact)


def code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' code points in one uint32 array, with per-text offsets.

    One join and one encode for the batch: twice as fast as encoding text by text and
    concatenating (a ``str`` is a sequence of code points, so its length is its slice's).
    """
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    return cps, offsets


def _run(
    texts: Sequence[str], nfkc: bool, casefold: bool, fold_variants: bool, spans: bool = True
) -> tuple[TokenStreams, np.ndarray]:
    tab = tables()
    cps, doc_offsets = code_points(texts)
    buf, offsets, starts, token_offsets, sources, unsafe = _kernels.token_streams(
        cps, doc_offsets, *tab.arrays(), nfkc, casefold, fold_variants, spans
    )
    exact = np.ones(len(texts), dtype=bool)
    return TokenStreams(buf, offsets, starts, token_offsets, sources, exact), unsafe


def token_streams(
    texts: Sequence[str],
    *,
    nfkc: bool = True,
    casefold: bool = True,
    fold_variants: bool = True,
    spans: bool = True,
) -> TokenStreams:
    """The normalised texts of a batch, by this module's rule, in one compiled pass.

    NFKC is applied character by character from a table; a text with a character whose NFKC
    depends on its neighbours (combining marks, Hangul jamo: rare in news) is normalised whole by
    ``unicodedata`` and run again. Only those texts are re-run: one such text must not double
    the cost of its batch. ``spans=False`` leaves ``sources`` empty, for callers that need only
    the streams (fingerprinting): about a sixth less work in the kernel.
    """
    streams, unsafe = _run(texts, nfkc, casefold, fold_variants, spans)
    if nfkc and unsafe.any():
        bad = np.flatnonzero(unsafe)
        fixed = [unicodedata.normalize("NFKC", texts[i]) for i in bad.tolist()]
        redo, _ = _run(fixed, nfkc, casefold, fold_variants, spans)
        streams = _splice(streams, redo, bad, spans)
    return streams


def _splice(
    streams: TokenStreams, redo: TokenStreams, bad: np.ndarray, spans: bool = True
) -> TokenStreams:
    """``streams`` with document ``bad[k]`` replaced by document ``k`` of ``redo``.

    The replaced documents' token sources point into their NFKC text, not the original, so
    they are set to -1 and the documents marked inexact.
    """
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
    sources = np.empty((token_offsets[n] if spans else 0, 2), dtype=np.int64)

    def copy(src: TokenStreams, lo: int, hi: int, dest: int, exact: bool) -> None:
        # Documents lo..hi-1 of src become documents dest.. of the result.
        end = dest + hi - lo
        buf[offsets[dest] : offsets[end]] = src.buf[src.offsets[lo] : src.offsets[hi]]
        shift = offsets[dest] - src.offsets[lo]
        first, last = src.token_offsets[lo], src.token_offsets[hi]
        starts[token_offsets[dest] : token_offsets[end]] = src.token_starts[first:last] + shift
        if spans:
            target = sources[token_offsets[dest] : token_offsets[end]]
            target[:] = src.sources[first:last] if exact else -1

    done = 0
    for k, d in enumerate(bad.tolist()):
        copy(streams, done, d, done, True)
        copy(redo, k, k + 1, d, False)
        done = d + 1
    copy(streams, done, n, done, True)
    exact = np.ones(n, dtype=bool)
    exact[bad] = False
    return TokenStreams(buf, offsets, starts, token_offsets, sources, exact)


def tokenize(
    text: str, *, nfkc: bool = True, casefold: bool = True, fold_variants: bool = True
) -> Tokens:
    """Tokens of ``text`` by this module's rule, each with its span in the original text.

    The compiled path: a token's span runs from the first to the last original character whose
    normalised form contributed to it (so "ﬁne…" gives "fine" over "ﬁne", not the ellipsis).
    Texts that need whole-text NFKC go through :func:`tokenize_reference`.
    """
    streams = token_streams([text], nfkc=nfkc, casefold=casefold, fold_variants=fold_variants)
    if not streams.exact[0]:
        return tokenize_reference(text, nfkc=nfkc, casefold=casefold, fold_variants=fold_variants)
    lo, hi = int(streams.offsets[0]), int(streams.offsets[1])
    first, last = int(streams.token_offsets[0]), int(streams.token_offsets[1])
    starts = streams.token_starts[first:last] - lo
    return Tokens.of_stream(streams.buf[lo:hi], starts, streams.sources.copy())


_CHUNK = re.compile(r"\S+")


def tokenize_reference(
    text: str, *, nfkc: bool = True, casefold: bool = True, fold_variants: bool = True
) -> Tokens:
    """Tokens of ``text`` by the module's rule, in plain Python: the executable specification.

    NFKC never composes across white space, so normalising each white-space-delimited chunk on
    its own gives the same result as normalising the whole text; within a chunk that NFKC changes
    other than character for character, every token maps to the whole chunk (spans stay inside
    the original text). Slow (tens of milliseconds for a long article); the compiled path is
    tested to produce the same tokens.
    """
    classes, variant = tables().classes, tables().variant
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for chunk in _CHUNK.finditer(text):
        raw = chunk.group()
        norm = unicodedata.normalize("NFKC", raw) if nfkc else raw
        # Offsets carry over only if character i of norm came from character i of raw: equal
        # lengths are not enough ("e\u0301-\ufb01" -> "é-fi" composes one pair, expands another).
        exact = norm == raw or _one_to_one(raw, norm)
        base = chunk.start()
        current: list[str] = []
        cur_start = cur_end = 0
        for i, ch in enumerate(norm):
            raw = classes[ord(ch)]
            if fold_variants and raw & VARIANT:
                if ord(ch) >= variant.shape[0] or variant[ord(ch)] < 0:
                    continue  # deleted: it neither ends the token nor extends its span
                ch = chr(variant[ord(ch)])
                raw = classes[ord(ch)]
            cls = raw & CLASS_MASK
            if cls == SEP or (cls == SOLO and current):
                if current:
                    words.append("".join(current))
                    spans.append((cur_start, cur_end))
                    current = []
                if cls == SEP:
                    continue
            if not current:
                cur_start = base + i if exact else base
            current.append(ch.casefold() if casefold else ch)
            cur_end = base + i + 1 if exact else chunk.end()
            if cls == SOLO:
                words.append("".join(current))
                spans.append((cur_start, cur_end))
                current = []
        if current:
            words.append("".join(current))
            spans.append((cur_start, cur_end))
    arr = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return Tokens(words=words, spans=arr)


def _one_to_one(raw: str, norm: str) -> bool:
    """True if ``norm`` (the NFKC of ``raw``) is ``raw`` with each character replaced by one."""
    if len(norm) != len(raw):
        return False
    return all(unicodedata.normalize("NFKC", c) == n for c, n in zip(raw, norm, strict=True))
