"""Plain-text inputs: one file as one document, or a concatenated dump of scraped articles.

The dump rule itself is documented on :func:`dedup.io.read_documents`; this module implements
it. Text is consumed as a stream of blocks (runs of blank or of non-blank lines), so at most one
article (or, for a plain file, the one document) is held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from dedup.errors import InputError

FOOTER_LINE = "Original Source"
"""The block that ends every article of a dump; the next title line may only follow it."""

MAX_TITLE_CHARS = 200
MAX_SECTION_CHARS = 40
_SENTENCE_END = ".!?,;:"


@dataclass(frozen=True, slots=True)
class TextDocument:
    """A document cut out of a text file, before it becomes a :class:`dedup.types.Document`."""

    id: str
    text: str
    title: str | None
    line: int  # where it starts, for error messages (duplicate ids)


@dataclass(slots=True)
class _Block:
    """A maximal run of blank lines or of non-blank lines, line endings kept."""

    first_line: int
    blank: bool
    lines: list[str] = field(default_factory=list)

    def single_line(self) -> str | None:
        """The stripped line if this is a one-line paragraph, else None."""
        if self.blank or len(self.lines) != 1:
            return None
        return self.lines[0].strip()


def checked_lines(lines: Iterable[tuple[int, str]], path: str) -> Iterator[tuple[int, str]]:
    """Pass lines through, rejecting NUL characters (they break SQLite and C-string tools)."""
    for lineno, line in lines:
        column = line.find("\x00")
        if column >= 0:
            raise InputError(f"NUL character in text (column {column + 1})", path, lineno)
        yield lineno, line


def _blocks(lines: Iterable[tuple[int, str]]) -> Iterator[_Block]:
    current: _Block | None = None
    for lineno, line in lines:
        blank = not line.strip()
        if current is None or current.blank != blank:
            if current is not None:
                yield current
            current = _Block(lineno, blank)
        current.lines.append(line)
    if current is not None:
        yield current


def title_of(line: str) -> str | None:
    """The title if ``line`` (already stripped) has the shape ``Title | Section``, else None."""
    if len(line) > MAX_TITLE_CHARS:
        return None
    title, sep, section = line.rpartition(" | ")
    title, section = title.strip(), section.strip()
    if not sep or not title or not section:
        return None
    if len(section) > MAX_SECTION_CHARS or section[-1] in _SENTENCE_END:
        return None
    return title


def _title_block(block: _Block) -> str | None:
    line = block.single_line()
    return None if line is None else title_of(line)


def _is_footer(block: _Block) -> bool:
    return block.single_line() == FOOTER_LINE


def _body(blocks: list[_Block]) -> str:
    """Join an article's blocks without the blank runs around them and the final line break."""
    while blocks and blocks[0].blank:
        blocks.pop(0)
    while blocks and blocks[-1].blank:
        blocks.pop()
    text = "".join(line for block in blocks for line in block.lines)
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n").removesuffix("\r")


def _articles(blocks: Iterator[_Block], stem: str) -> Iterator[TextDocument]:
    """Split a dump whose first non-blank block is a title line (checked by the caller)."""
    number = 0
    title: str | None = None
    title_line = 0
    body: list[_Block] = []
    after_footer = True  # the start of the file counts as an article boundary
    for block in blocks:
        if block.blank:
            body.append(block)
            continue
        new_title = _title_block(block) if after_footer else None
        if new_title is not None:
            if number:
                yield TextDocument(f"{stem}-{number:02d}", _body(body), title, title_line)
            number += 1
            title, title_line, body = new_title, block.first_line, []
        else:
            body.append(block)
        after_footer = _is_footer(block)
    yield TextDocument(f"{stem}-{number:02d}", _body(body), title, title_line)


def read_text_file(
    lines: Iterable[tuple[int, str]], name: str, stem: str
) -> Iterator[TextDocument]:
    """Yield a dump's articles, or the whole file as the one document ``name``.

    Deciding needs a look ahead up to the first footer block: that is at most the first article,
    and a file that turns out not to be a dump is one document that is held whole anyway.
    """
    blocks = _blocks(lines)
    seen: list[_Block] = []
    is_dump = False
    paragraphs = 0
    for block in blocks:
        seen.append(block)
        if block.blank:
            continue
        paragraphs += 1
        if paragraphs == 1 and _title_block(block) is None:
            break
        if paragraphs > 1 and _is_footer(block):
            is_dump = True
            break
    rest = chain(seen, blocks)
    if is_dump:
        yield from _articles(rest, stem)
    else:
        text = "".join(line for block in rest for line in block.lines)
        yield TextDocument(name, text, None, 1)
