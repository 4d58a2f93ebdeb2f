"""The ``deduped.jsonl`` records of every document, serialised once during ingest.

Writing ``deduped.jsonl`` used to read and parse the whole input a second time, on one thread,
after everything else. Instead, while the input is read the first time, each document's record
goes to a temporary file (:class:`RecordSpool`); at the end the canonical ones are copied out
byte for byte. The copy costs a fraction of a parse, and serialising during ingest overlaps
with fingerprinting on the other cores. The file is about the size of the input texts, on disk,
so memory still grows with the number of documents only (8 bytes each for the offsets).

Boilerplate stripping rewrites the texts at the end (it needs the whole corpus' model), so a
stripped run still reads its input again (:func:`dedup.io.read_selected`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import IO

import numpy as np
import orjson

from dedup.boilerplate import Stripped
from dedup.bulk.spool import TempFileSpool, sealed_offsets
from dedup.fingerprint import FingerprintBatch
from dedup.io import Plain
from dedup.types import Document


def document_record(
    doc: Document, strip: Callable[[Document], Stripped] | None = None
) -> dict[str, Plain]:
    """A ``deduped.jsonl`` line: the document as read, absent optional fields left out.

    With ``strip``, the text is the stripped one and ``removed`` lists the ``[start, end]``
    spans of the original text that were cut.
    """
    record: dict[str, Plain] = {"id": doc.id, "text": doc.text}
    if strip is not None:
        stripped = strip(doc)
        record["text"] = stripped.text
        record["removed"] = [list(span) for span in stripped.removed + stripped.chrome]
    for name in ("source", "published", "title"):
        value = getattr(doc, name)
        if value is not None:
            record[name] = value
    return record


def encode_records(docs: list[Document]) -> tuple[bytes, np.ndarray]:
    """The records of ``docs`` as JSON Lines, and each one's size in bytes.

    What :meth:`RecordSpool.observe` appends; process-parallel ingest calls it in its workers.
    """
    lines = [orjson.dumps(document_record(d), option=orjson.OPT_APPEND_NEWLINE) for d in docs]
    return b"".join(lines), np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))


class RecordSpool(TempFileSpool):
    """Append-only file of every document's :func:`document_record`, by input position."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__("dedup-records-", ".jsonl", directory)
        self._sizes: list[np.ndarray] = []
        self._offsets: np.ndarray | None = None

    def observe(self, docs: list[Document], batch: FingerprintBatch | None = None) -> None:
        """Add a batch of documents (a bulk-job sink: the fingerprints are not needed)."""
        if self._offsets is not None:
            raise ValueError("the record spool is closed for appending")
        data, sizes = encode_records(docs)
        self._write(data)
        self._sizes.append(sizes)

    def extend(self, sizes: np.ndarray) -> None:
        """Count in records another process wrote to a :meth:`segment` (sizes in bytes)."""
        if self._offsets is not None:
            raise ValueError("the record spool is closed for appending")
        self._sizes.append(np.asarray(sizes, dtype=np.int64))

    def seal(self) -> None:
        """Finish appending; after this, records can be read back."""
        if self._offsets is None:
            self._offsets = sealed_offsets(self._sizes, self._size())
            self._sizes = []

    def __len__(self) -> int:
        return int(self._sealed().shape[0] - 1)

    def copy(self, wanted: np.ndarray, target: IO[bytes]) -> int:
        """Write the records of the positions ``wanted`` marks, in order; returns how many."""
        offsets = self._sealed()
        positions = np.flatnonzero(self._check(wanted))
        # One copy per run of consecutive positions: canonical documents come in long runs.
        breaks = np.flatnonzero(np.diff(positions) != 1) + 1
        if positions.size:
            first = positions[np.concatenate(([0], breaks))]
            last = positions[np.concatenate((breaks - 1, [positions.size - 1]))]
            ranges = zip(offsets[first].tolist(), offsets[last + 1].tolist(), strict=True)
            self._copy_out(ranges, target)
        return int(positions.shape[0])

    def documents(self, wanted: np.ndarray) -> Iterator[tuple[int, Document]]:
        """``(position, document)`` for the positions ``wanted`` marks, decoded from records."""
        offsets = self._sealed()
        for position in np.flatnonzero(self._check(wanted)).tolist():
            raw = self._read(int(offsets[position]), int(offsets[position + 1]))
            record = orjson.loads(raw)
            yield (
                position,
                Document(
                    id=record["id"],
                    text=record["text"],
                    source=record.get("source"),
                    published=record.get("published"),
                    title=record.get("title"),
                ),
            )

    def _sealed(self) -> np.ndarray:
        if self._offsets is None:
            raise ValueError("seal() the record spool before reading from it")
        return self._offsets

    def _check(self, wanted: np.ndarray) -> np.ndarray:
        if wanted.shape != (len(self),):
            raise ValueError(f"wanted has {wanted.shape[0]} entries for {len(self)} records")
        return wanted
