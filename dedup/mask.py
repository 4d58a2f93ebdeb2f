"""Masking the variable fields of a paragraph, so that templated lines share one key.

Page chrome is filled in per page: "© 2023 Acme" / "© 2024 Acme", "Posted 3 hours ago" /
"Posted 12 hours ago", "Permalink: https://acme.com/a/8f2k" / ".../a/q7x1". An exact paragraph
hash sees different lines; the *masked* text replaces each variable field by a placeholder word,
so the lines above collapse to one masked text each and the masked key (the content hash of its
normalised form, see :mod:`dedup.paragraphs`) is shared.

The rule (:meth:`Masker.mask`), applied to the NFKC form of the text, in this order:

1. URLs (with a scheme, starting with ``www.``, or a domain followed by a path) -> ``mxurl``;
2. e-mail addresses -> ``mxmail``;
3. @handles -> ``mxat``;
4. English month names next to a number ("4 March 2021", "Sept. 4") and weekday names ->
   ``mxnum``;
5. numbers: digit runs with their inner separators ("4,800", "2021-03-04", "09:30", "3.5"),
   with an ordinal suffix ("3rd"), and an adjacent am/pm -> ``mxnum``; then every run of
   ``mxnum`` separated only by white space and punctuation becomes one ``mxnum`` (so a date in
   any of its numeric spellings is one field: "2021-03-04 10:22" and "4 March 2021" both mask to
   a single ``mxnum``), and the word right after it loses a plural ``s`` ("1 hour"/"3 hours").

Why not names: masking every capitalised word would also merge title-case subheadings
("What Happens Next" / "The Road Ahead"), quote attributions and headlines, which do repeat in
shape across a publisher's articles and are content. Names are masked only by
:meth:`Masker.template`, a second, stronger mask that :mod:`dedup.boilerplate` applies to short
paragraphs at the head or tail of an article, where bylines and credits live ("By Jane Doe",
"Reporting by John Roe"). The placeholders are words (``mx...``) so that they survive
normalisation as tokens; a real text containing them is not a concern.

Where masked texts count (:mod:`dedup.boilerplate`): chrome, not news. Chrome is a short line
of labels around fields filled in per page; news puts figures, names and dates *in a sentence*,
and there they are the content: six monthly ledes "The U.S. economy added 295,000 jobs last
month and the unemployment rate rose to 4.3 percent, ..." differ only in masked fields, and
merging them stripped each month's news. Two rules keep such sentences apart, weighed against
the boilerplate benchmark (its F1 did not change):

* length: fields are masked only in paragraphs of at most ``Rules.template_max_tokens`` (16)
  words; a longer one keeps its exact key (and text, for near-duplicate forms) as its masked
  ones. The chrome above, and templated chrome sentences ("This article appeared in print on
  page A12 of the 03/04/2021 edition."), are under it; a sentence of news rarely is. A longer
  templated line ("Copyright 2023 Acme Ltd. All rights reserved. This material may not be
  ...", over 16 words) is then learned per variant, by its exact key.
* names as subjects: :meth:`Masker.template` leaves a text whose masked name is followed by a
  lower-case word other than a function word ("John Smith will appear at Leeds Crown Court on
  3 April."), the shape of a clause about that person; bylines and credits do not have it.

Not caught: a short news line with numbers alone ("Shares rose 3 percent on Friday.") still
shares its masked key with its siblings; telling it from "Posted 3 hours ago" needs the words'
grammar, which a multilingual masker does not have. Weighed and left: a stricter carrier count
for masked keys (a wire's monthly report reaches any count in a few years); requiring the
fields' values to vary like chrome's (a date near the publication time) needs dates to parse.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"


def _title_or_upper(words: str) -> str:
    return "|".join(f"{w}|{w.upper()}" for w in words.split("|"))


def _by_initial(words: str, head: str, tail: str = "", *, read: bool) -> str:
    r"""An alternation of ``words`` (in title case and upper case) grouped by initial: each
    initial, then ``head``, then the rest of its words in their order, then ``tail``. The
    initial is read (``J``), or with ``read=False`` one just read (``(?<=J)``).

    Python's regular expressions scan fast only for a pattern whose first step reads one
    character of a known set (a class, or an alternation whose every branch starts with a
    character); ``\b(?=[A-Z])(?:January|...)`` has no such step, so the engine tried the whole
    pattern at every position of a paragraph. Only one of these words can end at a word
    boundary where another begins, so their order does not change a match.
    """
    names = _title_or_upper(words).split("|")
    alternatives = []
    for c in dict.fromkeys(w[0] for w in names):
        rests = "|".join(w[1:] for w in names if w[0] == c)
        alternatives.append(f"{c if read else f'(?<={c})'}{head}(?:{rests}){tail}")
    return "|".join(alternatives)


#: After a word character just read: that a word starts with it (the ``\b`` before it).
_STARTS_WORD = r"(?<!\w\w)"

_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/)[^\s<>\"'“”‘’]*",  # noqa: RUF001
    re.IGNORECASE,
)
_HOST = re.compile(r"(?:[a-z]+://)?(?:www\.)?([^/:?#\s]*)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w+")
# "\b(?=[MTWFS])(?:Monday|MONDAY|...)\b" with its first character read first (see _by_initial).
_WEEKDAY = re.compile(rf"(?:{_by_initial(_WEEKDAYS, _STARTS_WORD, read=True)})\b")
_DIGIT = re.compile(r"\d")
# A date/number field: numbers (with inner separators, ordinal suffix, am/pm), month names and
# already masked weekdays, joined by punctuation, white space or "of"; then an optional plural
# word right after it. One pass; _mask_field keeps runs without a digit (a lone "May").
_NUMBER_TAIL = r"(?:[.,:/\-–]\d+)*(?:(?:st|nd|rd|th)\b)?(?:\s?(?:[ap]\.?m\.?|[AP]\.?M\.?)(?!\w))?"  # noqa: RUF001
_PART = rf"(?:\d+{_NUMBER_TAIL}|mxnum\b|\b(?=[A-Z])(?:{_title_or_upper(_MONTHS)})\b\.?)"
_FIELD_TAIL = rf"(?:(?:[^\w\n]+|\s+of\s+){_PART})*(?:\s+([^\W\d_]{{3,}}?)s\b)?"
# The first part with its first character read first (see _by_initial), which the engine scans
# for: a number's first digit, "m" of mxnum, or a month's initial at the start of a word. A news
# article's date/number masking took 1.01 M instructions, 0.68 M so (session 37 of the
# performance log).
_FIELD = re.compile(
    rf"[\dmJFMASOND](?:(?<=\d)\d*{_NUMBER_TAIL}|(?<=m)xnum\b"
    rf"|{_STARTS_WORD}(?:{_by_initial(_MONTHS, '', read=False)})\b\.?){_FIELD_TAIL}"
)
# The same for a text of ASCII characters, whose only digits are 0-9: an alternation whose
# every branch starts with a character (0.57 M instructions with it).
_ASCII_FIELD = re.compile(
    "(?:"
    + "|".join(
        [
            *(rf"{d}\d*{_NUMBER_TAIL}" for d in "0123456789"),
            r"mxnum\b",
            _by_initial(_MONTHS, _STARTS_WORD, r"\b\.?", read=True),
        ]
    )
    + f"){_FIELD_TAIL}"
)

# Runs of words separated by white space only (a name part: "O'Connell", "Jean-Pierre", "J."),
# and the capitalised function words that never count as a name part.
_WORD_RUN = re.compile(r"[^\W\d_][\w'’\-]*\.?(?:\s+[^\W\d_][\w'’\-]*\.?)*")  # noqa: RUF001
_PLAIN_WORD = re.compile(r"[^\W_]+")
_FIXED_WORD = re.compile(r"(?<![^\W_])(?!mx(?:url|mail|at|num|name)(?![^\W_]))[^\W_]")
_LABEL = re.compile(r"\s*([^\W\d_][^:：\d\n]{0,39}?)\s*[:：](?![/\d])\s*(?=[^\W_])")  # noqa: RUF001
#: The characters whose compatibility decomposition holds a colon (U+003A, or U+FF1A, which the
#: label pattern takes too; NFKC maps U+FF1A, U+FE55 and U+FE13 to a colon and U+2A74 to "::="):
#: a text with none of them has no label, so :meth:`Masker.label` answers without normalising
#: it (three in four eligible paragraphs of news articles).
_COLONS = ":：﹕︓⩴"  # noqa: RUF001
# The word right after a masked name, when only white space separates them.
_AFTER_NAME = re.compile(r"\bmxname\s+([^\W\d_][\w'’\-]*)")  # noqa: RUF001
_NOT_NAMES = frozenset(
    {
        *("a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "the", "to", "with"),
        *("de", "del", "der", "des", "di", "die", "du", "el", "en", "et", "la", "las", "le"),
        *("les", "los", "par", "per", "por", "und", "van", "von", "y"),
    }
)


@dataclass(frozen=True, slots=True)
class Masker:
    """Replaces the variable fields of a text by placeholder words (see the module rule).

    ``nfkc`` should match :attr:`dedup.config.Config.nfkc`: digits and letters in compatibility
    forms (full-width digits) are then recognised like their plain forms.
    """

    nfkc: bool = True

    def mask(self, text: str) -> str:
        """``text`` with URLs, e-mails, handles, dates, times and numbers replaced.

        Returns ``text`` itself (the same object) when there is nothing to mask.
        """
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        original = text
        # Each step is skipped when the character it needs is absent: this is per paragraph.
        if "/" in text or "www." in text or "WWW." in text:
            text = _URL.sub(_mask_url, text)
        if "@" in text:
            text = _EMAIL.sub(" mxmail ", text)
            text = _HANDLE.sub(" mxat ", text)
        if "day" in text or "DAY" in text:
            text = _WEEKDAY.sub(" mxnum ", text)
        if text is not original or _DIGIT.search(text) is not None:
            text = (_ASCII_FIELD if text.isascii() else _FIELD).sub(_mask_field, text)
        return text if text is original or _has_fixed_word(text) else original

    def label(self, text: str) -> str | None:
        """The label of a "Label: value" paragraph ("Read more: ...", "相关阅读: ..."), if any.

        A label is one to three words without digits before the first colon, followed by a
        value; a colon that starts a URL or a time ("https:", "10:30") is no label.
        """
        if not any(colon in text for colon in _COLONS):
            return None
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        match = _LABEL.match(text)
        if match is None or len(_PLAIN_WORD.findall(match.group(1))) > 3:
            return None
        return match.group(1)

    def template(self, masked: str) -> str:
        """A masked text with names masked too: runs of two or more capitalised words -> mxname.

        A run is capitalised words separated only by white space, so "By Jane Doe, Staff" masks
        "Jane Doe" and keeps "Staff". Single capitalised words are kept ("Reuters", "Facebook",
        "Published"), so are capitalised function words ("By", "The", "Par"). A text that would
        keep no other word is returned unchanged: a line that is nothing but a name ("Jane Doe")
        or a title-case heading is too weak a template to merge on. So is a sentence whose
        subject is a name ("John Smith will appear at Leeds Crown Court on 3 April"): a
        masked name right before a lower-case word other than a function word (a verb) is the
        news itself; a byline or credit puts names after labels and before punctuation,
        capitalised words or function words ("By Jane Doe | Staff", "Reporting by John Roe;
        additional reporting by ...", "By Jane Doe and John Roe in Kyiv").
        """
        result = _WORD_RUN.sub(_mask_names, masked)
        if not _has_fixed_word(result) or _names_a_subject(result):
            return masked
        return result


def _has_fixed_word(masked: str) -> bool:
    """Whether a masked text keeps a word that is not a placeholder.

    A text that is nothing but masked fields ("7 May 1856", "4,699,755", "© 2018") has no
    fixed part to be a template of; masking it would merge every such line into one.
    """
    return _FIXED_WORD.search(masked) is not None


def _names_a_subject(template: str) -> bool:
    """Whether a masked name is followed by a lower-case word that is no function word."""
    return any(
        word[0].islower() and word.lower() not in _NOT_NAMES
        for word in _AFTER_NAME.findall(template)
    )


def _mask_field(match: re.Match[str]) -> str:
    """A date/number field -> ``mxnum`` (and its plural word singular); a bare month stays."""
    field = match.group()
    if "mxnum" not in field and _DIGIT.search(field) is None:
        return field
    plural = match.group(1)
    return f" mxnum {plural} " if plural else " mxnum "


def _mask_url(match: re.Match[str]) -> str:
    """A URL -> its host (without ``www.``) and a placeholder for the rest.

    The host is the fixed part of a publisher's permalinks; keeping it stops links to
    different sites from looking alike.
    """
    host = _HOST.match(match.group())
    return f" {host.group(1) if host else ''} mxurl "


def _mask_names(match: re.Match[str]) -> str:
    out: list[str] = []
    run: list[str] = []
    for word in [*match.group().split(), ""]:
        if word and _is_name_word(word):
            run.append(word)
            continue
        out.extend(["mxname"] if len(run) >= 2 else run)
        run = []
        if word:
            out.append(word)
    return " ".join(out)


def _is_name_word(word: str) -> bool:
    """A capitalised word that is not a function word."""
    return word[0].isupper() and word.rstrip(".").lower() not in _NOT_NAMES
