"""Documents -> :class:`DocumentEntry` records: the one place a boilerplate model computes keys.

Everything is batched: one segmentation and key pass over all paragraphs
(:class:`~dedup.paragraphs.ParagraphFingerprinter`, without signatures); for eligible paragraphs
only, a key pass over name templates, one over labels and a MinHash pass over the masked texts
of the signed ones; and a MinHash pass over each document's whole masked text. The two MinHash
passes take their token streams from the key pass (a document's masked text is its paragraphs'
joined), which tokenised each text once: tokenising them again took a tenth of a news
article's build (0.515 ms against 0.46, by hand, session 23).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import DocumentEntry, Occurrence
from dedup.config import Config
from dedup.fingerprint import Fingerprinter
from dedup.lsh import Banding
from dedup.paragraphs import ParagraphFingerprinter, ParagraphTable, Segmenter
from dedup.types import Document
from dedup.unicode_tables import _SOLO_RANGES

# Characters of scripts written without spaces (one token each, see dedup.normalize).
_SOLO = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _SOLO_RANGES) + "]")


def _words(texts: Sequence[str], table: ParagraphTable, above: int) -> np.ndarray:
    """Length of each paragraph in words, a CJK/Thai character counting as half a word.

    Each such character is a token (:mod:`dedup.normalize`), but their words average about two
    characters, so raw token counts would make a short Chinese line look long. Only paragraphs
    with more than ``above`` tokens are examined; the others keep their token count.
    """
    words = table.tokens.astype(np.float64)
    for r in np.flatnonzero(table.tokens > above).tolist():
        text = texts[int(table.doc[r])][table.start[r] : table.end[r]]
        if not text.isascii():
            words[r] -= 0.5 * len(_SOLO.findall(text))
    return words


#: Near-duplicate paragraph forms are found by LSH over MinHash signatures of their masked
#: texts, with fewer permutations than documents get: 16 bands x 4 rows of a 64-value signature
#: make a pair a candidate with probability 0.988 at Jaccard 0.7 (``Rules.near_threshold``),
#: 1.000 at 0.8 and 0.12 at 0.3, at half the MinHash cost and half the band keys to store.
NEAR_PERMUTATIONS = 64
NEAR_BANDS = 16
NEAR_ROWS = 4


class EntryBuilder:
    """Turns documents into the records a boilerplate model stores and judges."""

    def __init__(
        self,
        config: Config | None = None,
        rules: Rules | None = None,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.config = config or Config()
        self.rules = rules or Rules()
        self.paragraphs = ParagraphFingerprinter(
            self.config, segmenter=segmenter, min_tokens=self.rules.min_tokens
        )
        near = self.config.replace(num_perm=NEAR_PERMUTATIONS, bands=NEAR_BANDS, rows=NEAR_ROWS)
        self.near = Fingerprinter(near)
        self.banding = Banding(NEAR_BANDS, NEAR_ROWS)

    def build(self, documents: Sequence[Document]) -> list[DocumentEntry]:
        """One entry per document, in order."""
        texts = [d.text for d in documents]
        paragraphs = self.paragraphs.masked_paragraphs(texts, signatures=False)
        table, all_masked = paragraphs.table, paragraphs.texts
        rules = self.rules
        masker = self.paragraphs.masker
        counts = np.diff(table.doc_offsets)
        index = np.arange(len(table), dtype=np.int64) - table.doc_offsets[table.doc]
        edge = rules.edge(index, counts[table.doc])
        words = _words(texts, table, min(rules.mid_max_tokens, rules.template_max_tokens))
        rows = np.flatnonzero(rules.eligible(index, counts[table.doc], words)).tolist()
        para_text = [texts[int(table.doc[r])][table.start[r] : table.end[r]] for r in rows]
        masked_text = [all_masked[r] for r in rows]
        # Fields are masked in short paragraphs only, names in short paragraphs at the head or
        # tail only (see Rules.template_max_tokens): a longer one keeps its exact key and text
        # as its masked ones, so its figures and dates tell it from its siblings.
        short = words <= rules.template_max_tokens
        masked_keys = np.where(short, table.masked, table.exact)
        masked_rows = np.where(short, paragraphs.masked_rows, np.arange(len(table)))
        templates: dict[int, str] = {}
        for k, r in enumerate(rows):
            if edge[r] and short[r]:
                template = masker.template(masked_text[k])
                if template != masked_text[k]:
                    templates[k] = template
        template_keys, _ = self.paragraphs.keys(list(templates.values()))
        template_of = dict(zip(templates, template_keys.tolist(), strict=True))
        label_of = self._labels(rows, table.doc, para_text)
        signed = [k for k, r in enumerate(rows) if table.signed[r]]
        batch = self.near.fingerprint_streams(
            paragraphs.streams.joined(masked_rows[np.array([rows[k] for k in signed], np.int64)])
        )
        bands = self.banding.keys(batch.signatures) if signed else np.empty((0, 0), np.uint64)
        near_of = {k: j for j, k in enumerate(signed)}

        off = batch.offsets
        occurrences: list[list[Occurrence]] = [[] for _ in documents]
        for k, r in enumerate(rows):
            j = near_of.get(k)
            occurrences[int(table.doc[r])].append(
                Occurrence(
                    start=int(table.start[r]),
                    end=int(table.end[r]),
                    text=para_text[k],
                    exact=int(table.exact[r]),
                    masked=int(masked_keys[r]),
                    template=template_of.get(k),
                    label=label_of.get(k),
                    shingles=None if j is None else batch.shingles[off[j] : off[j + 1]],
                    bands=None if j is None else bands[j],
                )
            )
        # Each document's masked text is its paragraphs' joined by blank lines.
        every = np.arange(len(table), dtype=np.int64)
        doc_streams = paragraphs.masked_streams(every, table.doc_offsets)
        doc_signatures = self.near.fingerprint_streams(doc_streams).signatures
        entries: list[DocumentEntry] = []
        for d, doc in enumerate(documents):
            entries.append(
                DocumentEntry(
                    doc_id=doc.id,
                    source=doc.source if rules.per_source else None,
                    signature=doc_signatures[d],
                    occurrences=tuple(occurrences[d]),
                )
            )
        return entries

    def _labels(self, rows: list[int], doc: np.ndarray, texts: list[str]) -> dict[int, int]:
        """Label keys of eligible paragraphs whose label is unique within their document."""
        labels: dict[int, str] = {}
        for k, text in enumerate(texts):
            label = self.paragraphs.masker.label(text)
            if label is not None:
                labels[k] = label
        keys, _ = self.paragraphs.keys(list(labels.values()))
        key_of = dict(zip(labels, keys.tolist(), strict=True))
        per_doc = Counter((int(doc[rows[k]]), key) for k, key in key_of.items())
        return {k: key for k, key in key_of.items() if per_doc[(int(doc[rows[k]]), key)] == 1}
