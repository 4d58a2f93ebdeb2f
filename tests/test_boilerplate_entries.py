"""What a boilerplate entry signs: each signed paragraph's masked text (its own text when it is
longer than ``Rules.template_max_tokens``: fields are masked in short lines only), and the
document's masked text (its paragraphs' masked texts joined by blank lines), as a near
Fingerprinter would sign those texts given alone, whatever else is in the batch."""

from __future__ import annotations

import numpy as np

from dedup.boilerplate import EntryBuilder, Rules
from dedup.boilerplate.prepare import NEAR_BANDS, NEAR_PERMUTATIONS, NEAR_ROWS
from dedup.config import Config
from dedup.fingerprint import Fingerprinter
from dedup.mask import Masker
from dedup.paragraphs import ParagraphFingerprinter, Segmenter
from dedup.types import Document

NEAR = Fingerprinter(Config().replace(num_perm=NEAR_PERMUTATIONS, bands=NEAR_BANDS, rows=NEAR_ROWS))
DOCS = [
    Document(
        "a",
        "Storm Hits Coast\n\nPosted 3 hours ago by Jane Doe\n\n"
        "The storm reached the coast on 4 March 2021 at 10:22, cutting power to 4,800 homes "
        "and closing every road out of town for the night.\n\n"
        "\uff26\uff55\uff4c\uff4c width text, a café in Zürich, and 東京で会議が開かれた.\n\n"
        "Follow us at https://example.com/news/8f2k for the latest news every day.",
        "example",
    ),
    Document("b", ""),
    Document("c", "one line only, with no paragraph break and nothing to mask in it at all"),
]


def test_an_entry_signs_its_masked_paragraphs_and_its_masked_text() -> None:
    masker, segmenter = Masker(), Segmenter()
    short = Rules().template_max_tokens
    entries = EntryBuilder().build(DOCS)
    signs: set[bool] = set()  # whether a signed paragraph's text was masked
    for doc, entry in zip(DOCS, entries, strict=True):
        paragraphs = segmenter.split(doc.text)
        masked = {p.start: masker.mask(p.text) for p in paragraphs}
        whole = NEAR.fingerprint(["\n\n".join(masked.values())])
        assert np.array_equal(entry.signature, whole.signatures[0])
        table = ParagraphFingerprinter().fingerprint([doc.text])
        tokens = dict(zip(table.start.tolist(), table.tokens.tolist(), strict=True))
        signed = [occ for occ in entry.occurrences if occ.shingles is not None]
        for occ in signed:
            text = masked[occ.start] if tokens[occ.start] <= short else occ.text
            signs.add(text != occ.text)
            alone = NEAR.fingerprint([text])
            assert np.array_equal(occ.shingles, alone.shingles)
    assert signs == {True, False}  # not vacuous: both kinds were signed
