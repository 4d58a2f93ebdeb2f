"""Small, pure text transformations that imitate how news text gets copied and damaged.

Every function takes the ``random.Random`` it may draw from as an argument and touches no other
state, so a generator that threads one seeded ``Random`` through them is reproducible. Counts of
edits are ``rate x units`` rounded stochastically (no ``math.log``/``exp``: libm results may differ
in the last bit between machines, and a corpus must be byte-identical everywhere).

Offsets are Python ``str`` indices (code points), spans are half-open ``(start, end)``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence

PARAGRAPH_SEP = "\n\n"

Span = tuple[int, int]

# Scripts written without spaces between words: each character is an edit unit there.
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_SPLIT_WORDS_CJK = re.compile(rf"(\s+|(?<=[{_CJK_CLASS}])(?=[{_CJK_CLASS}]))")
# A sentence ends at terminal punctuation (plus closing quotes/brackets) before whitespace, or
# right after a CJK full stop, which is not followed by a space.
SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s)|[。！？][”」』]?")  # noqa: RUF001

# OCR confusions, in both directions; picked over a generic drop/double when the character has one.
_OCR_CONFUSIONS: Mapping[str, tuple[str, ...]] = {
    "m": ("rn",),
    "l": ("1", "I"),
    "1": ("l",),
    "I": ("l", "1"),
    "O": ("0",),
    "0": ("O",),
    "o": ("0",),
    "e": ("c",),
    "c": ("e",),
    "S": ("5",),
    "5": ("S",),
}


def stochastic_round(x: float, rng: random.Random) -> int:
    """Round ``x`` down or up at random so that the expected result is exactly ``x``."""
    base = int(x)
    return base + (1 if rng.random() < x - base else 0)


def check_rate(rate: float, name: str = "rate") -> None:
    """Reject rates outside [0, 1] early, before any text is touched."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name} must be within [0, 1], got {rate!r}; pass a fraction, e.g. 0.02")


def cut_ending(text: str, rng: random.Random, keep: tuple[float, float] = (0.6, 0.95)) -> str:
    """Drop the end of ``text`` as reprints do, keeping a fraction drawn uniformly from ``keep``.

    The cut lands on the last paragraph boundary between ``keep[0]`` of the text and the drawn
    target; failing that on the last sentence end there, then the last space there, then the
    first space after the target up to ``keep[1]``, and only then (scripts without spaces, tiny
    texts) on the exact target character. So the kept share is always within ``keep`` and words
    are cut only when there is no other choice. The result is a non-empty prefix of ``text``
    (for non-empty input), so offsets into it stay valid offsets into the original.
    """
    lo, hi = keep
    if not 0.0 < lo <= hi <= 1.0:
        raise ValueError(f"keep must satisfy 0 < low <= high <= 1, got {keep!r}; e.g. (0.6, 0.95)")
    n = len(text)
    if n == 0:
        return text
    min_keep = max(1, math.ceil(n * lo))
    max_keep = max(min_keep, int(n * hi))
    target = min(max_keep, max(min_keep, int(n * rng.uniform(lo, hi))))
    cut = text.rfind(PARAGRAPH_SEP, min_keep, target + len(PARAGRAPH_SEP))
    if cut < 0:
        ends = [m.end() for m in SENTENCE_END_RE.finditer(text, min_keep, target)]
        cut = ends[-1] if ends else -1
    if cut < 0:
        cut = max(text.rfind(" ", min_keep, target), text.rfind("\n", min_keep, target))
    if cut < 0:
        after = (text.find(" ", target, max_keep), text.find("\n", target, max_keep))
        cut = min((i for i in after if i >= 0), default=target)
    return text[:cut]


def _joiner(left: str, right: str) -> str:
    """Separator to put between two tokens: nothing between CJK characters, else one space."""
    if CJK_RE.match(left[-1:]) or CJK_RE.match(right[:1]):
        return ""
    return " "


def edit_words(text: str, rng: random.Random, rate: float) -> str:
    """Substitute, delete or insert words (50/25/25) at about ``rate`` edits per word.

    Imitates copy editing between reprints. Words are space-separated tokens (picked with
    probability proportional to their length, which keeps this O(edits) rather than O(text):
    ``news_corpus`` calls it on every reprint), or single characters in CJK text. Replacement and
    inserted words come from the same text, so language and script stay consistent. Line breaks
    are never removed and no paragraph is emptied: Latin words touching a line break are left
    alone, as are the first and last word of the text.
    """
    check_rate(rate)
    if not text or rate == 0.0:
        return text
    if not text.isascii() and CJK_RE.search(text):
        return _edit_tokens(text, rng, rate)
    n = len(text)
    n_words = text.count(" ") + text.count(PARAGRAPH_SEP) + 1
    k = min(n_words, stochastic_round(n_words * rate, rng))
    if k == 0:
        return text
    picks = sorted(_word_at(text, int(rng.random() * n)) for _ in range(k))
    out: list[str] = []
    last = 0
    for start, end in picks:
        if start < last or start >= end:  # the same word twice, or a double space
            continue
        word = text[start:end]
        if "\n" in word:
            continue
        d_start, d_end = _word_at(text, int(rng.random() * n))
        donor = text[d_start:d_end]
        if not donor or "\n" in donor:
            donor = word
        op = rng.random()
        out.append(text[last:start])
        if op < 0.25:  # insert before
            out.append(donor + " ")
            last = start
        elif op < 0.5 and start > 0 and end < n:  # delete, with the space after it
            last = end + 1
        else:  # substitute
            out.append(donor)
            last = end
    out.append(text[last:])
    return "".join(out)


def _word_at(text: str, pos: int) -> Span:
    """Span of the space-delimited word at ``pos`` (the next word when ``pos`` is a space)."""
    start = text.rfind(" ", 0, pos + 1) + 1
    end = text.find(" ", start)
    return start, len(text) if end < 0 else end


def _edit_tokens(text: str, rng: random.Random, rate: float) -> str:
    """:func:`edit_words` for text with CJK characters, where each character is a word."""
    parts = _SPLIT_WORDS_CJK.split(text)  # even indices: words (ends may be ""), odd: separators
    n_words = (len(parts) + 1) // 2
    k = min(n_words, stochastic_round(n_words * rate, rng))
    removed_seps: set[int] = set()
    for w in sorted(rng.sample(range(n_words), k)):
        i = 2 * w
        word = parts[i]
        if not word:
            continue
        donor = parts[2 * rng.randrange(n_words)] or word
        op = rng.random()
        if op < 0.25:  # insert a word before this one
            parts[i] = donor + _joiner(donor, word) + word
            continue
        if op < 0.5:  # delete, taking one neighbouring separator along unless it breaks a line
            for j in (i + 1, i - 1):
                if 0 < j < len(parts) and j not in removed_seps and "\n" not in parts[j]:
                    removed_seps.add(j)
                    parts[j] = ""
                    parts[i] = ""
                    break
            if not parts[i]:
                continue
        parts[i] = donor  # substitute (also the fallback for an impossible deletion)
    return "".join(parts)


def char_noise(text: str, rng: random.Random, rate: float) -> str:
    """Add OCR-like character noise at about ``rate`` events per character.

    Events: confusions (rn<->m, l<->1/I, O<->0, e<->c, S<->5), dropped or doubled letters, and
    broken hyphenation ("infor- mation") inside Latin words. Whitespace is never touched, so
    paragraph structure survives; events that land on whitespace are skipped.
    """
    check_rate(rate)
    n = len(text)
    k = min(n, stochastic_round(n * rate, rng))
    if k == 0:
        return text
    out: list[str] = []
    last = 0
    for p in sorted(rng.sample(range(n), k)):
        if p < last:
            continue
        c = text[p]
        if c.isspace():
            continue
        end = p + 1
        confusions = _OCR_CONFUSIONS.get(c)
        if text.startswith("rn", p):
            rep, end = "m", p + 2
        elif confusions is not None and rng.random() < 0.7:
            rep = confusions[rng.randrange(len(confusions))]
        else:
            roll = rng.random()
            hyphenable = c.isascii() and c.isalpha() and text[p - 1 : p].isalpha()
            if roll < 0.4:
                rep = ""
            elif roll < 0.8 or not hyphenable:
                rep = c + c
            else:
                rep = "- " + c
        out.append(text[last:p])
        out.append(rep)
        last = end
    out.append(text[last:])
    return "".join(out)


def strip_site_suffix(title: str) -> str:
    """Drop a trailing " | Site" / " - Site" part, as syndicators do when re-headlining."""
    for sep in (" | ", " — ", " - ", " – ", " :: ", " _"):  # noqa: RUF001 (en dash)
        head, found, _ = title.rpartition(sep)
        if found and len(head) >= 12:
            return head.strip()
    return title


def retitle(title: str, rng: random.Random, outlet: str | None = None) -> str:
    """Return a new headline for a reprint of an article titled ``title``.

    Site suffixes are dropped (p=0.7); then one of: a prefix such as "UPDATE:", a case change
    (title case), truncation to the first words, or no change (each p=0.25); then the reprinting
    ``outlet`` is appended (p=0.5, or always when nothing else changed). Empty titles stay empty.
    """
    if not title.strip():
        return title
    new = strip_site_suffix(title) if rng.random() < 0.7 else title
    style = rng.randrange(4)
    words = new.split()
    if style == 0:
        prefixes = ("UPDATE: ", "BREAKING: ", "Analysis: ", "Report: ", "WATCH: ")
        new = prefixes[rng.randrange(len(prefixes))] + new
    elif style == 1:
        new = " ".join(w[:1].upper() + w[1:] for w in words)
    elif style == 2 and len(words) > 6:
        new = " ".join(words[: rng.randint(4, len(words) - 2)]) + "…"
    if outlet and (new == title or rng.random() < 0.5):
        new = f"{new} | {outlet}"
    return new


def insert_blocks(
    paragraphs: Sequence[str], inserts: Sequence[tuple[int, str]]
) -> tuple[str, list[Span]]:
    """Insert paragraphs at paragraph positions; return the joined text and their spans.

    ``inserts`` holds ``(position, paragraph)`` where position ``i`` means "before the i-th
    original paragraph" (``len(paragraphs)`` appends); inserts at one position keep their order.
    The k-th span is where the k-th insert ended up (not the separators around it).
    """
    n = len(paragraphs)
    for pos, block in inserts:
        if not 0 <= pos <= n:
            raise ValueError(f"insert position {pos} outside 0..{n}; clamp it to the body")
        if not block or PARAGRAPH_SEP in block:
            raise ValueError("each inserted block must be one non-empty paragraph; split it first")
    order = sorted(range(len(inserts)), key=lambda k: (inserts[k][0], k))
    pieces: list[str] = []
    spans: list[Span] = [(0, 0)] * len(inserts)
    offset = -len(PARAGRAPH_SEP)
    nxt = 0
    for i in range(n + 1):
        while nxt < len(order) and inserts[order[nxt]][0] == i:
            block = inserts[order[nxt]][1]
            offset += len(PARAGRAPH_SEP)
            spans[order[nxt]] = (offset, offset + len(block))
            pieces.append(block)
            offset += len(block)
            nxt += 1
        if i < n:
            offset += len(PARAGRAPH_SEP) + len(paragraphs[i])
            pieces.append(paragraphs[i])
    return PARAGRAPH_SEP.join(pieces), spans


def _alternative(spec: str | Sequence[str] | None, rng: random.Random) -> list[str]:
    """Pick one alternative from ``spec`` and return its non-empty paragraphs."""
    if spec is None:
        return []
    if isinstance(spec, str):
        choice = spec
    elif spec:
        choice = spec[rng.randrange(len(spec))]
    else:
        raise ValueError("an empty sequence of alternatives was given; pass None for no block")
    return [p.strip() for p in choice.split(PARAGRAPH_SEP) if p.strip()]


def add_boilerplate(
    text: str,
    rng: random.Random,
    header: str | Sequence[str] | None = None,
    footer: str | Sequence[str] | None = None,
    inline: str | Sequence[str] | None = None,
) -> tuple[str, list[Span]]:
    """Wrap ``text`` in a header and footer (and optionally one inline block) and say where.

    Each of ``header``/``footer``/``inline`` is a literal block (paragraphs separated by a blank
    line) or a sequence of alternative blocks, one of which ``rng`` picks. ``inline`` goes at a
    random paragraph boundary inside the body (after it, when the body is one paragraph). Fill
    templates with :func:`dedup.synth.outlets.render_template` first if they have placeholders.

    Returns the new text and one gold ``(start, end)`` span per added paragraph, sorted, so that
    ``new_text[start:end]`` is exactly that paragraph (separators are not part of any span).
    """
    body = text.split(PARAGRAPH_SEP) if text else []
    inserts = [(0, p) for p in _alternative(header, rng)]
    middle = _alternative(inline, rng)
    if middle:
        pos = rng.randint(1, len(body) - 1) if len(body) >= 2 else len(body)
        inserts += [(pos, p) for p in middle]
    inserts += [(len(body), p) for p in _alternative(footer, rng)]
    new_text, spans = insert_blocks(body, inserts)
    return new_text, sorted(spans)
