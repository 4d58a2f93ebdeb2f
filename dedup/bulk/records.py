"""The ``deduped.jsonl`` records of every document, spooled once during ingest.

A document read from a JSON Lines record is written back as that record, its bytes as read
(:attr:`Document.record`): every field, under the input's names, values as given. Spooling it
is a copy; only a stripped text makes a record be decoded and encoded again
(:func:`output_line`). A document that came from no record (a ``.txt`` file, an article of a
dump) gets a record of its fields (:func:`document_record`).

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

import json
import os
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np
import orjson

from dedup.boilerplate import Stripped
from dedup.bulk.spool import TempFileSpool, sealed_offsets
from dedup.fingerprint import FingerprintBatch
from dedup.io import FieldNames, Plain, record_document
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


def output_line(doc: Document, stripped: Stripped | None = None, text_field: str = "text") -> bytes:
    """The ``deduped.jsonl`` (or ``dedup strip``) line of ``doc``, line break included.

    A document with a :attr:`~Document.record` gets it back: as read without ``stripped``;
    else decoded, with the value of ``text_field`` replaced by the stripped text and
    ``removed`` (the ``[start, end]`` spans of the original text that were cut) set, and
    encoded again (keys in their order, values the same; the spelling of white space, escapes
    and numbers may change). Any other document gets :func:`document_record`'s record.
    """
    if doc.record is None:
        return orjson.dumps(
            document_record(doc, None if stripped is None else lambda _: stripped),
            option=orjson.OPT_APPEND_NEWLINE,
        )
    if stripped is None:
        return doc.record + b"\n"
    record = _decoded(doc.record)
    record[text_field] = stripped.text
    record["removed"] = [list(span) for span in stripped.removed + stripped.chrome]
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, which json writes as given
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


#: Twenty digits in a row: maybe an integer beyond 64 bits, which orjson reads as a float.
_LONG_DIGITS = re.compile(rb"[0-9]{20}")


def _decoded(raw: bytes) -> dict[str, Any]:
    """A record the reader accepted, decoded again: by orjson, or by json when orjson cannot
    keep every value (an integer beyond 64 bits, which orjson turns into a float)."""
    record = json.loads(raw) if _LONG_DIGITS.search(raw) else orjson.loads(raw)
    if not isinstance(record, dict):
        raise ValueError("a document record is not a JSON object")
    return record


def encode_records(docs: list[Document]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The records of ``docs`` as JSON Lines, each one's size in bytes, and which are the
    input's own (a :attr:`Document.record`, not one made by :func:`document_record`).

    What :meth:`RecordSpool.observe` appends; process-parallel ingest calls it in its workers.
    """
    raws = [d.record for d in docs]
    own = np.fromiter((r is not None for r in raws), dtype=bool, count=len(raws))
    if own.all():  # the usual case, a corpus of JSON Lines: a join
        lines: list[bytes] = raws  # type: ignore[assignment]
        data = b"\n".join(lines) + b"\n" if lines else b""
        sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1
        return data, sizes, own
    encoded = [output_line(d) for d in docs]
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return b"".join(encoded), sizes, own


class RecordSpool(TempFileSpool):
    """Append-only file of every document's :func:`output_line`, by input position.

    ``fields`` are the input's field names, by which :meth:`documents` reads the input's own
    records back (a byte a document says which records are those).
    """

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, fields: FieldNames | None = None
    ) -> None:
        super().__init__("dedup-records-", ".jsonl", directory)
        self.fields = fields or FieldNames()
        self._sizes: list[np.ndarray] = []
        self._own: list[np.ndarray] = []
        self._offsets: np.ndarray | None = None
        self._owned: np.ndarray | None = None

    def observe(self, docs: list[Document], batch: FingerprintBatch | None = None) -> None:
        """Add a batch of documents (a bulk-job sink: the fingerprints are not needed)."""
        if self._offsets is not None:
            raise ValueError("the record spool is closed for appending")
        data, sizes, own = encode_records(docs)
        self._write(data)
        self._sizes.append(sizes)
        self._own.append(own)

    def extend(self, sizes: np.ndarray, own: np.ndarray | None = None) -> None:
        """Count in records another process wrote to a :meth:`segment` (sizes in bytes, and
        which are the input's own, as :func:`encode_records` gives them; default all)."""
        if self._offsets is not None:
            raise ValueError("the record spool is closed for appending")
        sizes = np.asarray(sizes, dtype=np.int64)
        self._sizes.append(sizes)
        self._own.append(np.ones(sizes.shape, bool) if own is None else np.asarray(own, bool))

    def seal(self) -> None:
        """Finish appending; after this, records can be read back."""
        if self._offsets is None:
            self._offsets = sealed_offsets(self._sizes, self._size())
            self._owned = np.concatenate(self._own) if self._own else np.zeros(0, dtype=bool)
            self._sizes, self._own = [], []

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
        owned = self._owned if self._owned is not None else np.zeros(0, dtype=bool)
        for position in np.flatnonzero(self._check(wanted)).tolist():
            raw = self._read(int(offsets[position]), int(offsets[position + 1]))
            if owned[position]:  # the input's record: read again as the reader read it
                yield position, record_document(_decoded(raw), self.fields, "<records>", position)
                continue
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
