"""The ingest stage on Spark: raw rows -> validated documents -> fingerprints, in one pass.

Each partition is handled by :class:`IngestPartition` on an executor: it validates every record
with the same functions as the local readers (:func:`dedup.io.decode_line`,
:func:`dedup.io.parse_record`, :func:`dedup.io.record_document`) and fingerprints documents in
batches with the same :class:`~dedup.fingerprint.Fingerprinter` and
:class:`~dedup.lsh.Banding`, so a text reaches Python once. Uint64 values (band keys, content
hashes) travel as int64 with the same bits: Spark has no unsigned type, and equality is all
later stages need of them.

Executors do not know where a split starts in its file, so they report positions relative to
their split (*block*) and one summary row per block; the driver turns those into input
positions and line numbers (:func:`locate`). Bad records do not fail the task: they come back
as rows, and the driver raises the first one in input order with the message and
``file:line`` the local engine would give (a duplicate id that comes earlier wins, as locally).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import Config
from dedup.engines.spark.sources import BLOCK, FILE, InputFile, uri_key
from dedup.errors import InputError
from dedup.fingerprint import Fingerprinter
from dedup.io import FieldNames, decode_line, parse_record, record_document
from dedup.lsh import Banding
from dedup.types import Document

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

DOC, ERROR, BLOCK_SUMMARY = 0, 1, 2

#: One row per document, per rejected record (the first of its block) or per block summary.
#: ``line``: the record's 0-based line (row) in its block; for a summary, the block's lines.
#: ``seq``: the document's 0-based number in its block; for a summary, the block's documents.
#: ``errors``: for a summary, the block's rejected records.
_COLUMNS = (
    ("kind", "byte"),
    ("file", "int"),
    ("block", "bigint"),
    ("line", "bigint"),
    ("seq", "bigint"),
    ("errors", "int"),
    ("message", "string"),
    ("id", "string"),
    ("text", "string"),
    ("source", "string"),
    ("published", "string"),
    ("title", "string"),
    ("record", "binary"),
    ("length", "bigint"),
    ("content_hash", "bigint"),
    ("size", "bigint"),
    ("shingles", "binary"),
    ("keys", "array<bigint>"),
    ("kept", "array<bigint>"),
)


#: The Spark schema (DDL) of :class:`IngestPartition`'s rows.
INGEST_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS)


@dataclass(frozen=True, slots=True)
class _Pending:
    file: int
    block: int
    line: int
    seq: int
    doc: Document


@dataclass(frozen=True)
class IngestPartition:
    """Validates and fingerprints one partition of raw rows (runs on executors)."""

    config: Config
    fields: FieldNames
    files: dict[str, tuple[int, str]]  # uri -> (file index, name shown in errors)
    parquet: bool
    batch_size: int = 256
    #: With ``--excerpts``, each document's shingles whose hash this divides are kept in the
    #: ``kept`` column (:mod:`.sampled`); 0 keeps none (the column is null).
    sample_mod: int = 0

    def __call__(self, rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows of :data:`INGEST_SCHEMA` for the raw rows of one partition."""
        fingerprinter = Fingerprinter(self.config)
        banding = Banding(self.config.bands, self.config.rows)
        pending: list[_Pending] = []
        current: tuple[int, int] | None = None
        lines = docs = errors = 0
        for row in rows:
            file, shown = self._file(row[FILE])
            key = (file, int(row[BLOCK]))
            if key != current:
                if current is not None:
                    yield _summary(current, lines, docs, errors)
                current, lines, docs, errors = key, 0, 0, 0
            try:
                doc = self._document(row, shown, first=key[1] == 0 and lines == 0)
            except InputError as exc:
                if not errors:
                    yield (ERROR, file, key[1], lines, None, None, exc.message, *_NO_DOC)
                errors += 1
                doc = None
            if doc is not None:
                pending.append(_Pending(file, key[1], lines, docs, doc))
                docs += 1
                if len(pending) >= self.batch_size:
                    yield from _fingerprinted(fingerprinter, banding, pending, self.sample_mod)
                    pending = []
            lines += 1
        yield from _fingerprinted(fingerprinter, banding, pending, self.sample_mod)
        if current is not None:
            yield _summary(current, lines, docs, errors)

    def _file(self, uri: str) -> tuple[int, str]:
        try:
            return self.files[uri_key(uri)]
        except KeyError:
            raise RuntimeError(
                f"Spark read {uri}, which is not among the listed inputs "
                "(did an input change while the job was starting?)"
            ) from None

    def _document(self, row: Any, shown: str, first: bool) -> Document | None:
        """The row's document, None for a blank line; InputError for a bad record.

        Line numbers are not known here; messages are re-located by the driver.
        """
        if self.parquet:
            record = {name: row[name] for name in row.__fields__ if name in self._names}
            return record_document(record, self.fields, shown, 0)
        raw = bytes(row["raw"])
        line = decode_line(raw, shown, 1 if first else 0)
        if not line.strip(" \t\r\n"):  # JSON whitespace only, as the local reader skips
            return None
        # The record as read, which deduped.jsonl gives back (as locally: Document.record).
        return parse_record(line, self.fields, shown, 0, raw)

    @property
    def _names(self) -> frozenset[str]:
        f = self.fields
        return frozenset((f.id, f.text, f.source, f.published, f.title))


_NO_DOC = (None,) * (len(_COLUMNS) - 7)


def _summary(key: tuple[int, int], lines: int, docs: int, errors: int) -> tuple[Any, ...]:
    return (BLOCK_SUMMARY, key[0], key[1], lines, docs, errors, None, *_NO_DOC)


def _fingerprinted(
    fingerprinter: Fingerprinter, banding: Banding, pending: Sequence[_Pending], sample_mod: int
) -> Iterator[tuple[Any, ...]]:
    if not pending:
        return
    batch = fingerprinter.fingerprint([p.doc.text for p in pending])
    keys = banding.keys(batch.signatures).view(np.int64)
    hashes = batch.content_hashes.view(np.int64).tolist()
    offsets = batch.offsets.tolist()
    shingles = np.ascontiguousarray(batch.shingles, dtype="<u8")
    for k, p in enumerate(pending):
        lo, hi = offsets[k], offsets[k + 1]
        d = p.doc
        kept = None
        if sample_mod:  # the unsigned hashes as the signed 64-bit integers of the same bits
            mine = shingles[lo:hi]
            kept = mine[mine % np.uint64(sample_mod) == 0].view(np.int64).tolist()
        yield (
            DOC,
            p.file,
            p.block,
            p.line,
            p.seq,
            None,
            None,
            d.id,
            d.text,
            d.source,
            d.published,
            d.title,
            d.record,
            len(d.text),
            hashes[k],
            hi - lo,
            shingles[lo:hi].tobytes(),
            keys[k].tolist(),
            kept,
        )


_BLOCK_BITS = 41  # a block key is file << 41 | block start: files up to 2 TiB


@dataclass(frozen=True, slots=True)
class Located:
    """Where each block's documents and lines start, once all summaries are in."""

    doc_offsets: dict[int, int]  # block key -> input position of its first document
    line_offsets: dict[int, int]  # block key -> lines of its file before it
    documents: int
    errors: int

    def position(self) -> Column:
        """Input position of the document in a row of ``kind``, ``file``, ``block``, ``seq``."""
        return _looked_up(self.doc_offsets) + _col("seq")

    def line(self) -> Column:
        """1-based line (Parquet: row) in its file of a row with ``file``, ``block``, ``line``."""
        return _looked_up(self.line_offsets) + _col("line") + 1


def _col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(name)


def _looked_up(offsets: dict[int, int]) -> Column:
    """``offsets[block key]`` as a map literal: a few entries per file, no join, no job."""
    from pyspark.sql import functions as F

    if not offsets:
        return F.lit(0).cast("bigint")
    entries = [F.lit(v).cast("bigint") for item in offsets.items() for v in item]
    key = F.shiftleft(F.col("file").cast("bigint"), _BLOCK_BITS) + F.col("block")
    return F.element_at(F.create_map(*entries), key)


def locate(ingested: DataFrame) -> Located:
    """Input position of every block's first document and file line of its first line."""
    from pyspark.sql import functions as F

    summaries = sorted(
        (int(r["file"]), int(r["block"]), int(r["line"]), int(r["seq"]), int(r["errors"]))
        for r in ingested.filter(F.col("kind") == BLOCK_SUMMARY).collect()
    )
    doc_offsets: dict[int, int] = {}
    line_offsets: dict[int, int] = {}
    position = line = errors = 0
    previous_file = -1
    for file, block, lines, docs, bad in summaries:
        if file != previous_file:
            line, previous_file = 0, file
        key = (file << _BLOCK_BITS) | block
        doc_offsets[key], line_offsets[key] = position, line
        position += docs
        line += lines
        errors += bad
    return Located(doc_offsets, line_offsets, position, errors)


def documents(ingested: DataFrame, located: Located) -> DataFrame:
    """The documents with ``pos`` (input position) and ``line`` (1-based line in its file)."""
    from pyspark.sql import functions as F

    return ingested.filter(F.col("kind") == DOC).select(
        located.position().alias("pos"),
        "file",
        located.line().alias("line"),
        "id",
        "text",
        "source",
        "published",
        "title",
        "record",
        "length",
        "content_hash",
        "size",
        "shingles",
        "keys",
        "kept",
    )


def check_input(
    ingested: DataFrame, docs: DataFrame, located: Located, files: Sequence[InputFile]
) -> None:
    """Raise the :class:`InputError` the local engine would raise first, if any."""
    from pyspark.sql import functions as F

    problems: list[tuple[tuple[int, int], InputError]] = []
    duplicate = _first_duplicate(docs, files)
    if duplicate is not None:
        problems.append(duplicate)
    if located.errors:
        first = (
            ingested.filter(F.col("kind") == ERROR)
            .select("file", located.line().alias("line"), "message")
            .orderBy("file", "line")
            .first()
        )
        if first is not None:
            where = (int(first["file"]), int(first["line"]))
            shown = files[where[0]].shown
            problems.append((where, InputError(str(first["message"]), shown, where[1])))
    if problems:
        raise min(problems, key=lambda p: p[0])[1]


def _first_duplicate(
    docs: DataFrame, files: Sequence[InputFile]
) -> tuple[tuple[int, int], InputError] | None:
    """The earliest second occurrence of an id, as the local reader reports it."""
    from pyspark.sql import functions as F

    repeated = docs.groupBy("id").count().filter(F.col("count") > 1).select("id")
    occurrences = (
        docs.join(repeated, "id", "left_semi").select("id", "pos", "file", "line").collect()
    )
    if not occurrences:
        return None
    by_id: dict[str, list[tuple[int, int, int]]] = {}
    for r in occurrences:
        by_id.setdefault(r["id"], []).append((int(r["pos"]), int(r["file"]), int(r["line"])))
    doc_id, seen = min(by_id.items(), key=lambda item: sorted(item[1])[1][0])
    seen.sort()
    (_, file0, line0), (_, file1, line1) = seen[0], seen[1]
    error = InputError(
        f"duplicate id {doc_id!r} (first seen at {files[file0].shown}:{line0})",
        files[file1].shown,
        line1,
    )
    return (file1, line1), error
