"""Gold-label record types shared by the generators, and JSONL output for them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dedup.synth.transforms import Span
from dedup.types import Document


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    """A generated document with its near-duplicate gold label.

    ``cluster`` is the id of the original document of the story, so two records are near
    duplicates exactly when their clusters are equal. ``origin`` is the id of the real article
    (in ``data/web-articles.jsonl``) the text came from; ``kind`` is "original" or "reprint";
    ``transforms`` lists what was applied, with the drawn parameters, e.g.
    ``("cut_ending(keep=0.812)", "edit_words(rate=0.023)", "footer", "retitle")``; ``tags``
    names the hard-negative groups the story belongs to, e.g. ``("shared_boilerplate:2",)``.
    """

    document: Document
    cluster: str
    origin: str
    kind: str
    transforms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The document id (shortcut for ``document.id``)."""
        return self.document.id

    @property
    def text(self) -> str:
        """The document text (shortcut for ``document.text``)."""
        return self.document.text


@dataclass(frozen=True, slots=True)
class ReusePair:
    """Document ``b`` copies passages of document ``a``.

    Each passage is ``((a_start, a_end), (b_start, b_end))``: the source span in ``a``'s text
    and the planted (possibly lightly edited) span in ``b``'s text, half-open code-point offsets.
    """

    a: str
    b: str
    passages: tuple[tuple[Span, Span], ...]


def _record(item: Document | LabelledDocument) -> dict[str, object]:
    doc = item.document if isinstance(item, LabelledDocument) else item
    rec: dict[str, object] = {
        "id": doc.id,
        "text": doc.text,
        "source": doc.source,
        "published": doc.published,
        "title": doc.title,
    }
    if isinstance(item, LabelledDocument):
        rec.update(
            cluster=item.cluster,
            origin=item.origin,
            kind=item.kind,
            transforms=list(item.transforms),
            tags=list(item.tags),
        )
    return rec


def write_jsonl(records: Iterable[Document | LabelledDocument], path: str | Path) -> int:
    """Write one JSON object per line (UTF-8, sorted keys, ``\\n`` line ends); return the count.

    Documents become ``{id, text, source, published, title}``; labelled documents add
    ``cluster``, ``origin``, ``kind``, ``transforms`` and ``tags``. Output is byte-identical for
    identical records on every platform, so corpora can be compared by checksum.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as fh:
        for item in records:
            fh.write(json.dumps(_record(item), ensure_ascii=False, sort_keys=True))
            fh.write("\n")
            count += 1
    return count
