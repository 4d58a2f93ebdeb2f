"""Removing boilerplate from texts, and the boilerplate-aware text to fingerprint documents by.

Joining rule (:func:`cut`): a removed paragraph is cut together with the white space before it,
so the separator that preceded it goes and the one after it stays; a removed paragraph with no
kept text before it (the head of the text) is cut with the white space after it instead. So
``"H\\n\\nA\\n\\nF\\n"`` with ``H`` and ``F`` removed becomes ``"A\\n"``: kept paragraphs keep
their own separators, no blank lines pile up, and a text's leading and final white space stay.

Boilerplate-aware text (:meth:`Stripper.content`): the stripped text, or the full text when
stripping leaves no word at all. Unrelated short articles that share only a footer are then
compared on their own words, two copies of one story with different footers on the story, and
a page that is all boilerplate still on what it has (an empty text would match nothing, so two
copies of it would no longer be duplicates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dedup._pickling import by_fields
from dedup.boilerplate.chrome import PageChrome
from dedup.boilerplate.model import BoilerplateModel, Judge
from dedup.boilerplate.store import DocumentEntry, Occurrence
from dedup.types import Document

_WORD = re.compile(r"[^\W_]")

Span = tuple[int, int]


@by_fields
@dataclass(frozen=True, slots=True)
class Stripped:
    """A text with boilerplate cut out.

    ``removed`` are the paragraphs judged boilerplate by count, ``chrome`` those removed by the
    page-chrome rule (empty unless enabled); both are sorted ``(start, end)`` spans into the
    *original* text, each exactly a paragraph (``original[start:end]``).
    """

    text: str
    removed: list[Span] = field(default_factory=list)
    chrome: list[Span] = field(default_factory=list)


def cut(text: str, spans: Iterable[Span]) -> str:
    """``text`` without the (paragraph) ``spans``, joined by the module's rule."""
    pieces: list[str] = []
    pos = 0
    kept_before = False
    for start, end in sorted(spans):
        if text[pos:start].strip():
            kept_before = True
        if kept_before:
            left = start
            while left > pos and text[left - 1].isspace():
                left -= 1
            pieces.append(text[pos:left])
            pos = end
        else:
            pieces.append(text[pos:start])
            right = end
            while right < len(text) and text[right].isspace():
                right += 1
            pos = right
    pieces.append(text[pos:])
    return "".join(pieces)


def content_or_full(original: str, stripped: Stripped) -> str:
    """The boilerplate-aware text: ``stripped.text`` unless it has no word, else ``original``."""
    return stripped.text if _WORD.search(stripped.text) else original


class Stripper:
    """Strips texts against what a :class:`BoilerplateModel` has learned.

    Only stored documents count as carriers: a text that was not observed is judged against
    the corpus without counting itself, one that was observed counts once.
    """

    def __init__(
        self, model: BoilerplateModel, chrome: PageChrome | None = None, judge: Judge | None = None
    ) -> None:
        """``judge``: how entries are judged (default ``model.judge``; a bulk run passes
        :meth:`BoilerplateModel.steady_judge`)."""
        self.model = model
        self.chrome = chrome
        self._judge = judge or model.judge

    def strip(self, text: str, source: str | None = None) -> Stripped:
        """``text`` (from ``source``) without its boilerplate paragraphs."""
        return self.strip_many([Document("", text, source)])[0]

    def strip_document(self, doc: Document) -> Stripped:
        """``doc`` without its boilerplate, judged as a post of it is: a stored document of
        its id, if any, is no carrier (:meth:`BoilerplateModel.judgement`), so that a stored
        document judged anew is judged as it was posted. The stripper's ``judge`` is not used."""
        entries = self.model.build([doc])
        return self.remove([doc], self.model.judgement(leave_out=doc.id).judge(entries))[0]

    def strip_many(self, documents: Sequence[Document]) -> list[Stripped]:
        """Every document stripped; fingerprinted and judged in one batch."""
        return self.apply(documents, self.model.build(documents))

    def apply(
        self, documents: Sequence[Document], entries: Sequence[DocumentEntry]
    ) -> list[Stripped]:
        """Strip documents whose entries are already built (e.g. returned by ``observe_many``)."""
        return self.remove(documents, self._judge(entries))

    def remove(
        self, documents: Sequence[Document], found: Sequence[Sequence[Occurrence]]
    ) -> list[Stripped]:
        """Strip documents of the boilerplate paragraphs judged theirs (``found``, of each in
        order), and of their page chrome: for a caller that judged them itself."""
        out: list[Stripped] = []
        for doc, occurrences in zip(documents, found, strict=True):
            removed = [(o.start, o.end) for o in occurrences]
            chrome = self.chrome.find(doc.text, removed) if self.chrome is not None else []
            out.append(Stripped(cut(doc.text, removed + chrome), removed, chrome))
        return out

    def content(self, text: str, source: str | None = None) -> str:
        """The text to fingerprint ``text`` by for document similarity (see the module)."""
        return content_or_full(text, self.strip(text, source))


def strip_documents(
    documents: Iterable[Document],
    model: BoilerplateModel | None = None,
    chrome: PageChrome | None = None,
) -> list[Stripped]:
    """Learn from ``documents``, then strip each of them: the two-pass batch call.

    ``model`` (default: a new one) keeps what was learned, for stripping more texts later.
    """
    docs = list(documents)
    model = model if model is not None else BoilerplateModel()
    entries = model.observe_many(docs)
    return Stripper(model, chrome).apply(docs, entries)


def content_texts(
    documents: Iterable[Document], model: BoilerplateModel | None = None
) -> list[str]:
    """Learn from ``documents``, then give each one's boilerplate-aware text."""
    docs = list(documents)
    stripped = strip_documents(docs, model)
    return [content_or_full(d.text, s) for d, s in zip(docs, stripped, strict=True)]
