"""What a document's id and text may hold: each rule once, for every way a document comes in.

The CLI's readers (:func:`dedup.io.record_document`) and the service (:mod:`service.schemas`)
call these functions, so a record refused on one path is refused on the other with the same
words; an index refuses to store an id :func:`id_problem` refuses, whoever calls it. The
service also publishes the rules in its OpenAPI document as JSON Schema patterns
(:data:`ID_PATTERN`, :data:`TEXT_PATTERN`, :data:`NO_NUL_PATTERN`), so that a client, or a test
generator, validating against the document takes exactly the values the service takes. They are
written for ECMA-262 (JSON Schema's dialect) and Python's ``re`` alike: ``\\uXXXX`` escapes and
explicit character classes, no ``.`` and no ``\\s``, whose sets differ between the two. One
difference remains, which a validator in Python must mend: the closing ``$`` means the end of
the string in ECMA-262, ``\\Z`` in Python, whose ``$`` also matches before a final newline.
Each pattern runs in linear time: every repeated class is followed by a class that shares no
character with it, or by the end, so a failed match backtracks over each character once (a
1 MB text costs two passes).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# (first, last) code points, inclusive.
Ranges = tuple[tuple[int, int], ...]

#: Unicode's control characters (category Cc): C0 (U+0000-U+001F, tab and newline among them),
#: DEL and C1 (U+007F-U+009F). Invisible, or moving the cursor, they make an id print as
#: another one, or as none, wherever it is shown: a terminal, a log, the report.
CONTROLS: Ranges = ((0x00, 0x1F), (0x7F, 0x9F))
#: What Python's ``str.isspace()`` (and so ``str.strip()`` and ``str.split()``) calls white
#: space, so that code written the obvious way agrees with the rule. The controls among it...
_CONTROL_SPACES: Ranges = ((0x09, 0x0D), (0x1C, 0x1F), (0x85, 0x85))
#: ...and the rest: the space, the no-break spaces, the typographic spaces, the line and
#: paragraph separators and the ideographic space.
SPACES: Ranges = (
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
WHITESPACE: Ranges = tuple(sorted(_CONTROL_SPACES + SPACES))


def char_class(ranges: Ranges) -> str:
    """The inside of a regex character class holding ``ranges``, in ``\\uXXXX`` escapes (read
    alike by ECMA-262 and Python; every range here lies in the Basic Multilingual Plane)."""
    return "".join(f"\\u{lo:04x}" if lo == hi else f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)


_C, _S, _W = char_class(CONTROLS), char_class(SPACES), char_class(WHITESPACE)

#: A string id: no control character, and one character at least that is not white space.
#: Spaces around other characters are allowed (an id is kept exactly as given, and some
#: sources' ids have them). Leading spaces, then the first other character, then no control.
ID_PATTERN = f"^[{_S}]*[^{_C}{_S}][^{_C}]*$"
#: A text the service takes as a document's: one character at least that is not white space,
#: and no NUL character, which no reader takes in a text either (:mod:`dedup.io`).
TEXT_PATTERN = f"^[{_W}]*[^\\u0000{_W}][^\\u0000]*$"
#: A source, title or text to strip: no NUL character.
NO_NUL_PATTERN = "^[^\\u0000]*$"

_CONTROL = re.compile(f"[{_C}]")
_NOT_SPACE = re.compile(f"[^{_W}]")


def id_problem(doc_id: str) -> str | None:
    """What is wrong with a string id, as words to follow its field's name; None if it is valid.

    A blank id, or one that holds a control character, is a client's bug (a field read from the
    wrong column, a line break left in by a scraper), never an article's name; stored, it
    would be listed and looked up as an id nobody can type or see. Positions count characters
    from 0, as every offset dedup reports does.
    """
    # The usual id first, in C string methods: 0.19 us for a 47-character URL against 1.2 us
    # through the searches below (the bulk job reads 10,000 documents a second on one core).
    # A printable string holds no control character and no white space but the ASCII space.
    if doc_id.isprintable() and doc_id.strip(" "):
        return None
    if not doc_id:
        return "is empty"
    if _NOT_SPACE.search(doc_id) is None:
        return "is only whitespace"
    bad = _CONTROL.search(doc_id)
    if bad is not None:
        return f"contains a control character (U+{ord(bad.group()):04X} at character {bad.start()})"
    return None


def is_blank(text: str) -> bool:
    """Whether ``text`` is empty or only white space: it has no word to compare.

    The service refuses such a document (a client that posts one has lost its text on the
    way); the CLI's readers take it, since a scraped corpus holds pages whose text extraction
    failed and a run must not stop at them: it matches nothing.
    """
    return _NOT_SPACE.search(text) is None


def text_problem(text: str) -> str | None:
    """What is wrong with a text the service takes as a document's (:data:`TEXT_PATTERN`)."""
    nul = text.find("\x00")
    if nul >= 0:
        return f"contains a NUL character (at character {nul})"
    return "is empty or only white space: there is no text" if is_blank(text) else None


def _no_nul_problem(value: str) -> str | None:
    return "contains a NUL character" if "\x00" in value else None


#: For each published pattern, the function that names how a value breaks it (None if it
#: does not): what a validator says instead of quoting the pattern back.
PATTERN_PROBLEMS: dict[str, Callable[[str], str | None]] = {
    ID_PATTERN: id_problem,
    TEXT_PATTERN: text_problem,
    NO_NUL_PATTERN: _no_nul_problem,
}
